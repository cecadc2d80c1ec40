// Test fixture: a module that fails while loading.
export function never() {
  return 'unreachable';
}

throw new Error('boom at load');

// Imported by ../handlers.mjs.
export function greeting(name) {
  return `hello, ${name}`;
}

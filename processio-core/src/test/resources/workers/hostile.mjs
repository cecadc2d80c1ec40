// Test fixture served by processio-worker.mjs: a worker that tries to overwhelm its host.

export function environment() {
  return process.env;
}

// Writes `lines` lines to stderr, or as stray (non-JSON) lines to stdout, in one go.
export function flood({ lines, stream }) {
  const out = stream === 'stdout' ? process.stdout : process.stderr;
  const chunk = [];
  for (let i = 0; i < lines; i++) {
    chunk.push(`flood line ${i}`);
    if (chunk.length === 1000) {
      out.write(chunk.join('\n') + '\n');
      chunk.length = 0;
    }
  }
  if (chunk.length > 0) out.write(chunk.join('\n') + '\n');
  return lines;
}

export function ping() {
  return 'pong';
}

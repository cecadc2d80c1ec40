// Test fixture served by processio-worker.mjs: handlers that write to stderr, for the tags that
// name their call (docs/protocol.md, "Per-call logs").

console.log('loaded call-logs');

// Writes n lines "line <i> of <id>", waiting between them so that concurrent calls interleave.
export async function chatter({ n }, context) {
  for (let i = 0; i < n; i++) {
    console.log(`line ${i} of ${context.id}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return context.id;
}

// One console.error of a whole stack trace, and a line written in two pieces.
export function stack(params, context) {
  console.error(new Error(`deep in ${context.id}`).stack);
  process.stdout.write('written in ');
  process.stdout.write('two pieces\n');
  return context.id;
}

export function trace(params, context) {
  return { traceparent: context.traceparent, tracestate: context.tracestate };
}

// Writes a line, then ends the process without answering.
export function printAndExit({ text }) {
  console.error(text);
  process.stderr.write('', () => process.exit(1));
  return new Promise(() => {});
}

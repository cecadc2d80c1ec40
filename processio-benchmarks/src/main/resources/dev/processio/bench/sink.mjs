// What StdinThroughput writes into: `node sink.mjs` reads lines from stdin and discards them until
// end of input, then prints one line to stdout: {"lines":N,"bytes":B}. It only counts, so that it
// reads as fast as node can and the writer is what is measured.

const NEWLINE = 10;

let lines = 0;
let bytes = 0;

process.stdin.on('data', (chunk) => {
  bytes += chunk.length;
  let at = chunk.indexOf(NEWLINE);
  while (at !== -1) {
    lines++;
    at = chunk.indexOf(NEWLINE, at + 1);
  }
});
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify({ lines, bytes }) + '\n', () => process.exit(0));
});

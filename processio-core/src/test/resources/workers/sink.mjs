// Test fixture, a raw script (not served by the runtime, sends no ready):
//   node sink.mjs [--pause-ms N] [--no-verify]
// Reads lines from stdin until end of input, then prints one line to stdout:
//   {"lines":N,"bytes":B,"ok":true|false,"firstError":null|"..."}
// Unless --no-verify, each line must carry "seq":k with k = 0, 1, 2, ... in order (at the
// top level or inside "params"). With --pause-ms N, stdin is not read for the first N ms,
// so the writer meets a full pipe. Kept fast: tests write tens of thousands of frames through it.

const args = process.argv.slice(2);
const verify = !args.includes('--no-verify');
const pauseAt = args.indexOf('--pause-ms');
const pauseMs = pauseAt >= 0 ? Number(args[pauseAt + 1]) : 0;

const NEWLINE = 10;
const HEAD_BYTES = 4096; // "seq" is looked for in the first bytes of a line only
const SEQ_PATTERN = /"seq"\s*:\s*(-?\d+)/;

let lines = 0;
let bytes = 0;
let expected = 0;
let firstError = null;
let pieces = []; // the current line so far (verify mode)
let pieceBytes = 0;

function fail(message) {
  if (firstError === null) firstError = message;
}

function seqOf(line) {
  const head = SEQ_PATTERN.exec(line.toString('utf8', 0, Math.min(line.length, HEAD_BYTES)));
  if (head) return Number(head[1]);
  try {
    const msg = JSON.parse(line.toString('utf8'));
    return msg?.seq ?? msg?.params?.seq;
  } catch (err) {
    fail(`line ${lines}: not JSON: ${err.message}`);
    return undefined;
  }
}

function checkLine(line) {
  if (line.length === 0) return;
  const seq = seqOf(line);
  if (seq === undefined) fail(`line ${lines}: no "seq"`);
  else if (seq !== expected) fail(`line ${lines}: expected seq ${expected}, got ${seq}`);
  expected = (typeof seq === 'number' ? seq : expected) + 1;
}

function countOnly(chunk) {
  bytes += chunk.length;
  let at = chunk.indexOf(NEWLINE);
  while (at !== -1) {
    lines++;
    at = chunk.indexOf(NEWLINE, at + 1);
  }
}

function verifyChunk(chunk) {
  bytes += chunk.length;
  let start = 0;
  let at = chunk.indexOf(NEWLINE);
  while (at !== -1) {
    let line = chunk.subarray(start, at);
    if (pieces.length > 0) {
      pieces.push(line);
      line = Buffer.concat(pieces, pieceBytes + line.length);
      pieces = [];
      pieceBytes = 0;
    }
    checkLine(line);
    lines++;
    start = at + 1;
    at = chunk.indexOf(NEWLINE, start);
  }
  if (start < chunk.length) {
    pieces.push(chunk.subarray(start));
    pieceBytes += chunk.length - start;
  }
}

function finish() {
  if (verify && pieceBytes > 0) fail(`input ended inside a line (${pieceBytes} bytes after the last newline)`);
  const summary = { lines, bytes, ok: firstError === null, firstError };
  process.stdout.write(JSON.stringify(summary) + '\n', () => process.exit(0));
}

function start() {
  process.stdin.on('data', verify ? verifyChunk : countOnly);
  process.stdin.on('end', finish);
}

// stdin stays paused until a 'data' listener is attached.
if (pauseMs > 0) setTimeout(start, pauseMs);
else start();

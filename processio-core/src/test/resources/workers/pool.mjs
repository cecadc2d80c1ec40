// Test fixture served by processio-worker.mjs, for pool tests. Methods that write to the
// ledger append one line per execution to the file named by $LEDGER, shared by every worker
// of a pool, so that a test can check that each call ran exactly once.
import { appendFileSync, closeSync, existsSync, readFileSync, writeSync } from 'node:fs';

// While the file named by $SLOW_START exists, a new worker takes a minute to load this module.
if (process.env.SLOW_START && existsSync(process.env.SLOW_START)) {
  await new Promise((resolve) => setTimeout(resolve, 60_000));
}

const ledgerFile = () => {
  if (!process.env.LEDGER) throw new Error('LEDGER is not set');
  return process.env.LEDGER;
};

export function echo(params) {
  return params;
}

export function pid() {
  return process.pid;
}

export function sleep({ ms, value = 'slept' }) {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

// Records that the call ran (key and pid), after an optional delay.
export async function ledger({ key, ms = 0 }) {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  appendFileSync(ledgerFile(), `${key} ${process.pid}\n`);
  return key;
}

// The first execution of a key records it and kills the worker before replying; a later
// execution of the same key (a retry on another worker) records it again and succeeds.
export function dieOnce({ key }) {
  const file = ledgerFile();
  const seen = existsSync(file) && readFileSync(file, 'utf8').split('\n').some((l) => l.startsWith(`${key} `));
  appendFileSync(file, `${key} ${process.pid}\n`);
  if (!seen) process.kill(process.pid, 'SIGKILL');
  return 'survived';
}

export function crash({ code = 1 } = {}) {
  process.exit(code);
}

export function ignoreSigterm() {
  process.on('SIGTERM', () => {});
  return 'ok';
}

export function hang() {
  for (;;) {
    // blocks the event loop: no reply, no end of input, no signal handler runs
  }
}

// Closes the worker's end of stdin while the process lives on: the host's next write gets EPIPE.
// libuv never closes fds 0-2 itself, so fd 0 is closed by hand once the stream has let go of it.
export function closeStdin() {
  process.stdin.once('close', () => closeSync(0));
  process.stdin.destroy();
  setInterval(() => {}, 60_000);
  return 'closed';
}

// Writes a line straight to fd 1, past the runtime's redirection of stdout.
export function stray({ text }) {
  writeSync(1, text + '\n');
  return 'ok';
}

// The module of the chaos soak (ChaosSoak.java), served by the bundled processio-worker.mjs.
//
// Ledger: every call of `run` appends its key to this process's own ledger file,
// $PROCESSIO_SOAK_DIR/ledger-<pid>.txt, with a synchronous write, before it answers. A line in a
// ledger is therefore a call that ran, whether or not its reply ever reached the host; the soak
// reads the ledgers after the pool has closed and holds them against what its callers saw.
//
// Faults: the soak writes the name of a fault to $PROCESSIO_SOAK_DIR/fault-<pid> and sends this
// process SIGUSR2. The handler runs on the event loop, between two handlers, so no call is half
// done when the fault starts. (SIGKILL needs no help from here: the soak sends it itself.)
import { closeSync, constants, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.PROCESSIO_SOAK_DIR;
if (!dir) throw new Error('PROCESSIO_SOAK_DIR is not set');
const ledger = openSync(join(dir, `ledger-${process.pid}.txt`), 'a');

// Non-idempotent in spirit: each run is one more line in the ledger.
export function run({ k }) {
  writeSync(ledger, `${k}\n`);
  return k;
}

const faults = {
  // Ends the process at once, without answering what it holds.
  exit() {
    process.exit(3);
  },

  // Closes this end of stdin while the process lives on, so the host's next write fails with
  // EPIPE. libuv never closes fds 0-2 itself, so fd 0 is closed once the stream has let go of it.
  closeStdin() {
    process.stdin.once('close', () => closeSync(0));
    process.stdin.destroy();
    setInterval(() => {}, 60_000);
  },

  // Stops reading stdin for good. The pool sends a worker calls only while it holds the fewest,
  // so a worker that stops reading is soon passed over, long before the requests it was sent
  // could fill its pipe. So the worker fills the pipe itself, with empty lines (which the
  // protocol ignores), and tops it up while Node still reads ahead into its own buffer: the
  // host's next write to it (a call, a cancel or a heartbeat) blocks until the write timeout.
  stall() {
    process.stdin.pause();
    // The runtime resumes stdin when its stdout drains; a stalled worker must not.
    process.stdin.resume = () => process.stdin;
    const fd = openSync('/proc/self/fd/0', constants.O_WRONLY | constants.O_NONBLOCK);
    const lines = Buffer.alloc(64 * 1024, 0x0a);
    const fill = () => {
      try {
        for (;;) writeSync(fd, lines);
      } catch (e) {
        if (e.code !== 'EAGAIN') throw e;
      }
    };
    fill();
    setInterval(fill, 20);
  },

  // Writes a line that starts like JSON and is not: a protocol fault.
  corruptFrame() {
    writeSync(1, '{"jsonrpc":"2.0","id":\n');
  },

  // Blocks the event loop without using a CPU: no reply, no heartbeat answer, no read.
  hang() {
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (;;) Atomics.wait(cell, 0, 0, 60_000);
  },
};

process.on('SIGUSR2', () => {
  const file = join(dir, `fault-${process.pid}`);
  let name;
  try {
    name = readFileSync(file, 'utf8').trim();
    rmSync(file, { force: true });
  } catch (e) {
    process.stderr.write(`soak worker: SIGUSR2 without a fault file: ${e.message}\n`);
    return;
  }
  const fault = faults[name];
  if (!fault) {
    process.stderr.write(`soak worker: unknown fault ${name}\n`);
    return;
  }
  process.stderr.write(`soak worker: fault ${name}\n`);
  fault();
});

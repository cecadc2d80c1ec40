// Test fixture served by processio-worker.mjs: workers that run into their OS limits.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

const kept = [];

export function pid() {
  return process.pid;
}

// The options node was started with.
export function argv() {
  return process.execArgv;
}

// Allocates `chunkMib` MiB of Buffers, filled so that their pages are resident, and never
// answers: memory outside the JS heap, which only the resident-memory watch sees. By default one
// chunk per turn of the event loop, each noted on stderr; with `sync`, as fast as it can, in one
// loop that never yields.
export function allocate({ chunkMib = 8, sync = false } = {}) {
  const chunk = () => kept.push(Buffer.alloc(chunkMib * 1024 * 1024, 1));
  if (sync) {
    for (;;) chunk();
  }
  return new Promise(() => {
    const step = () => {
      chunk();
      process.stderr.write(`allocated ${kept.length * chunkMib} MiB\n`);
      setImmediate(step);
    };
    step();
  });
}

// Grows the JS heap without end, synchronously: what --max-old-space-size stops.
export function growHeap() {
  const objects = [];
  for (;;) {
    objects.push({ a: objects.length, b: 'x'.repeat(64) + objects.length });
  }
}

// Spins the CPU until the kernel ends the process.
export function spin() {
  for (;;) {
    // spin
  }
}

// Opens /dev/null until an open fails; answers how many it opened and the error's code.
export function openFiles() {
  const fds = [];
  try {
    for (;;) {
      fds.push(openSync('/dev/null', 'r'));
    }
  } catch (e) {
    return { opened: fds.length, code: e.code };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

// Starts `count` long-lived children (sleep 300) and answers their pids.
export function spawnChildren({ count }) {
  const pids = [];
  for (let i = 0; i < count; i++) {
    pids.push(spawn('sleep', ['300'], { stdio: 'ignore' }).pid);
  }
  return pids;
}

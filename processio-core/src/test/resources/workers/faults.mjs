// Test fixture served by processio-worker.mjs: ways for a worker to misbehave.
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';

// Exits at once, without replying.
export function crash({ code = 1 } = {}) {
  process.exit(code);
}

export function sigkill() {
  process.kill(process.pid, 'SIGKILL');
}

// Closes the worker's end of stdin, so the host's next write fails with EPIPE, while the
// process stays alive and stdout still works. Destroying process.stdin alone is not enough:
// libuv never closes fds 0-2, so fd 0 is closed by hand once the stream has let go of it.
export function closeStdin() {
  process.stdin.once('close', () => closeSync(0));
  process.stdin.destroy();
  setInterval(() => {}, 60_000);
  return 'closed';
}

// Stops reading requests for `ms` milliseconds; replies at once.
export function pauseStdin({ ms }) {
  process.stdin.pause();
  setTimeout(() => process.stdin.resume(), ms);
  return 'paused';
}

// Blocks the event loop for good: no reply, no ping answer.
export function hang() {
  for (;;) {
    // spin
  }
}

// Writes straight to fd 1, past the runtime's redirection of stdout.
export function garbage({ text }) {
  writeSync(1, text + '\n');
  return 'ok';
}

export function stray({ text }) {
  writeSync(1, text + '\n');
  return 'ok';
}

// Must land on stderr: the runtime sends console output there.
export function consoleLog({ text }) {
  console.log(text);
  return 'ok';
}

export function stderr({ text }) {
  process.stderr.write(text);
  return 'ok';
}

export function ignoreSigterm() {
  process.on('SIGTERM', () => {});
  return 'ok';
}

// Starts a long-lived child process and returns its pid. Its stdio is detached from the
// worker's pipes, so it cannot hold them open.
export function spawnChild() {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  return child.pid;
}

export function exitSoon({ ms = 0, code = 0 } = {}) {
  setTimeout(() => process.exit(code), ms);
  return 'ok';
}

// Resolves after `ms` milliseconds: a call that is in flight when something else goes wrong.
export function sleep({ ms }) {
  return new Promise((resolve) => setTimeout(() => resolve('slept'), ms));
}

// Test module served by processio's bundled Node runtime. It imports a file of its own
// directory, so that a module copied out of a jar only works when the directory came with it.
import { greeting } from './lib/greeting.mjs';

export function echo(params) {
  return params;
}

export function add({ a, b }) {
  return a + b;
}

export function sleep({ ms }) {
  return new Promise((resolve) => setTimeout(() => resolve('slept'), ms));
}

export function pid() {
  return process.pid;
}

export function crash() {
  process.exit(1);
}

export function greet({ name }) {
  return greeting(name);
}

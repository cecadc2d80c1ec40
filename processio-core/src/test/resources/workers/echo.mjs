// Test fixture served by processio-worker.mjs: simple, observable methods.

let lastAborted = null;
let abortCount = 0;
const counters = {};
let lastSeq = -1;

export function echo(params) {
  return params;
}

export function add({ a, b }) {
  return a + b;
}

// Resolves `value` after `ms`; when the request is cancelled, rejects with the abort
// reason and remembers which request it was (see lastAbort).
export function delay({ ms, value } = {}, { id, signal }) {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      lastAborted = id;
      abortCount++;
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    }, ms ?? 0);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

// Waits `ms` without looking at its signal, then reads it: a cancel that came meanwhile must
// show. What it saw is kept for lastSignalRead, since its own reply is late by then.
let signalRead = null;
export async function readSignalLater({ ms }, context) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  const { signal } = context;
  signalRead = { id: context.id, aborted: signal.aborted, reason: signal.reason?.name ?? null };
  return signalRead;
}

export function lastSignalRead() {
  return signalRead;
}

export function fail({ message } = {}) {
  throw new TypeError(message);
}

export function invalid(params, context) {
  throw context.invalidParams('bad');
}

export function lastAbort() {
  return { id: lastAborted, count: abortCount };
}

export function big({ bytes }) {
  return 'x'.repeat(bytes);
}

export function record({ key }) {
  counters[key] = (counters[key] ?? 0) + 1;
  return counters[key];
}

export function counts() {
  return counters;
}

// Checks that requests arrive in order: n must be 0, 1, 2, ...
export function seq({ n }) {
  if (n !== lastSeq + 1) {
    throw new Error(`out of order: expected ${lastSeq + 1}, got ${n}`);
  }
  lastSeq = n;
  return n;
}

export function pid() {
  return process.pid;
}

// Writes `text` the ordinary ways: all of it must reach stderr and leave the protocol alone.
export function log({ text }) {
  console.log(text);
  process.stdout.write(`${text}\n`);
  return 'ok';
}

// Nested methods: "text.upper" and "text.slugify". The parameter is the string itself,
// or an object {"text": "..."}.
const textOf = (p) => String(p !== null && typeof p === 'object' ? p.text : p);

export const text = {
  upper(s) {
    return textOf(s).toUpperCase();
  },
  slugify(s) {
    return textOf(s)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  },
};

// Progress: reports n, n - 1, ..., 1 as fast as it can, then answers with how many it sent.
export function countdown({ n }, context) {
  let sent = 0;
  for (let i = n; i >= 1; i--) {
    if (context.progress(i)) sent++;
  }
  return sent;
}

// Reports a string of `bytes` characters, then the value "small"; answers with what
// context.progress returned for each.
export function progressBig({ bytes }, context) {
  return { big: context.progress('x'.repeat(bytes)), small: context.progress('small') };
}

// Reports {step, of} for step 1..steps, one every `ms`, then answers "done".
export async function steps({ steps: count, ms }, context) {
  for (let step = 1; step <= count; step++) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    context.progress({ step, of: count });
  }
  return 'done';
}

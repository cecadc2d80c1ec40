// The module every benchmark scenario calls, served by the bundled processio-worker.mjs: the
// processio pool, the hand-written Java client and the hand-written Node parent all start
// `node processio-worker.mjs echo.mjs` and call `echo`; the HTTP sidecar (http-sidecar.mjs) serves
// it too.

export function echo(params) {
  return params;
}

// Replies after `ms`: keeps calls pending for the heap measurement.
export function delay({ ms, value } = {}) {
  return new Promise((resolve) => setTimeout(() => resolve(value ?? null), ms ?? 0));
}

// Faults, for the table of what a crash of the JavaScript does under each alternative
// (Alternatives.java). Each ends the process that runs it.
export function abort() {
  process.abort();
}

export function exit({ code } = {}) {
  process.exit(code ?? 3);
}

// Needs a small heap limit (--max-old-space-size) to be over quickly.
export function exhaustHeap() {
  const kept = [];
  for (;;) kept.push(new Array(1024).fill(kept.length));
}

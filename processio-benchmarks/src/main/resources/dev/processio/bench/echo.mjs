// The module every benchmark scenario calls, served by the bundled processio-worker.mjs: the
// processio pool, the hand-written Java client and the hand-written Node parent all start
// `node processio-worker.mjs echo.mjs` and call `echo`.

export function echo(params) {
  return params;
}

// Replies after `ms`: keeps calls pending for the heap measurement.
export function delay({ ms, value } = {}) {
  return new Promise((resolve) => setTimeout(() => resolve(value ?? null), ms ?? 0));
}

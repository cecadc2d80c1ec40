// The baseline of MarkdownScaling: the demo's Markdown renderer in one plain Node process, no
// processio. It imports the same bundle the workers serve and calls its `render` directly, pass
// after pass over the corpus (each pass renders every document once, in the given order).
//
// Usage: node [node options] plain-render.mjs '<json>' where json is
//   {"module": ".../render.mjs", "corpus": [".../README.md", ...], "warmupPasses": 30, "passes": 60}
// The warm-up passes are not timed. Prints one JSON line on stdout for the timed passes:
//   {"renders": N, "seconds": wall, "cpuSeconds": user + sys of this process, "htmlChars": C}
// where htmlChars adds up the length of every HTML result, for the caller to check that its
// workers did the same work.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(process.argv[2]);
const { render } = await import(pathToFileURL(config.module).href);
const docs = config.corpus.map((file) => readFileSync(file, 'utf8'));
// What processio's runtime hands a handler as its second argument; render only uses this.
const context = { invalidParams: (message) => new TypeError(message) };

function passes(n) {
  let chars = 0;
  for (let p = 0; p < n; p++) {
    for (const markdown of docs) chars += render({ markdown }, context).html.length;
  }
  return chars;
}

passes(config.warmupPasses);
const cpuBefore = process.cpuUsage();
const start = process.hrtime.bigint();
const htmlChars = passes(config.passes);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(JSON.stringify({
  renders: config.passes * docs.length,
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  htmlChars,
}) + '\n');

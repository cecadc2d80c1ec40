// Bundles the worker module and its npm dependencies into one file on the jar's classpath
// (target/classes/js), with the licence texts of every bundled package beside it.
import { build } from 'esbuild';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const outdir = 'target/classes/js';
const result = await build({
  entryPoints: ['src/main/js/render.mjs'],
  outfile: `${outdir}/render.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  legalComments: 'none', // the full licence texts go to THIRD-PARTY-LICENSES.txt
  metafile: true,
  // CommonJS dependencies (postcss, via sanitize-html) require() Node built-ins; an ES module
  // bundle has no require of its own, so it gets one.
  banner: { js: "import { createRequire as __processioCreateRequire } from 'node:module';\nconst require = __processioCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/^(node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const sections = [...packages].sort().map((dir) => {
  const { name, version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  const text = file && existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').trim() : `(${license})`;
  return `${name} ${version} (${license})\n\n${text}\n`;
});
writeFileSync(`${outdir}/THIRD-PARTY-LICENSES.txt`,
  `Packages bundled into render.mjs\n\n${sections.join('\n' + '-'.repeat(72) + '\n\n')}`);
console.log(`bundled ${packages.size} packages into ${outdir}/render.mjs`);

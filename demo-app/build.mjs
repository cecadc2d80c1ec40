// Bundles the two programs the demo's pools run, each with its npm dependencies, into one file on
// the jar's classpath, with the licence texts of every package bundled into it beside it:
//   target/classes/js/render.mjs              the render pool's worker module
//   target/classes/mcp/filesystem-server.mjs  the docs pool's MCP server, run as it is published
// With --watch (npm run watch) it rebundles the worker module on every save of its sources, for a
// running application whose pool has processio.dev.watch on; the licence texts stay as the last
// full build wrote them.
import { build, context } from 'esbuild';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function options(entry, outfile) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    legalComments: 'none', // the full licence texts go to THIRD-PARTY-LICENSES.txt
    metafile: true,
    // CommonJS dependencies (postcss via sanitize-html, ajv via the MCP SDK) require() Node
    // built-ins; an ES module bundle has no require of its own, so it gets one.
    banner: { js: "import { createRequire as __processioCreateRequire } from 'node:module';\nconst require = __processioCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  };
}

async function bundle(entry, outfile) {
  const result = await build(options(entry, outfile));

  const packages = new Set();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = input.match(/^(node_modules\/(?:@[^/]+\/)?[^/]+)\//);
    if (match) packages.add(match[1]);
  }
  const sections = [...packages].sort().map((dir) => {
    const { name, version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = file && existsSync(join(dir, file))
      ? readFileSync(join(dir, file), 'utf8').trim()
      : `(the package declares "${license}" and ships no licence file; see its README)`;
    return `${name} ${version} (${license})\n\n${text}\n`;
  });
  const name = outfile.slice(outfile.lastIndexOf('/') + 1);
  writeFileSync(join(dirname(outfile), 'THIRD-PARTY-LICENSES.txt'),
    `Packages bundled into ${name}\n\n${sections.join('\n' + '-'.repeat(72) + '\n\n')}`);
  console.log(`bundled ${packages.size} packages into ${outfile}`);
}

if (process.argv.includes('--watch')) {
  // 'info' logs each rebuild, and each error with its file and line.
  const watch = await context({ ...options('src/main/js/render.mjs', 'target/classes/js/render.mjs'), logLevel: 'info' });
  await watch.watch();
  console.log('rebundling src/main/js/render.mjs into target/classes/js/render.mjs on every save; Ctrl-C stops');
} else {
  await bundle('src/main/js/render.mjs', 'target/classes/js/render.mjs');
  // The server's own entry point (its package's "bin"), so the bundle runs exactly what npx would.
  await bundle('node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
    'target/classes/mcp/filesystem-server.mjs');
}

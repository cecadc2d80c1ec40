// Test fixture, a raw script (not served by the runtime) that speaks protocol 1 by hand.
// Method `flood` writes params.lines lines on stdout that are not protocol messages, then the
// reply; any other method is answered with its params. Exits 0 at end of input.
import { createInterface } from 'node:readline';

const out = (line) => process.stdout.write(line + '\n');

out(JSON.stringify({
  jsonrpc: '2.0',
  method: 'processio/ready',
  params: { protocol: 1, runtime: `node ${process.versions.node}`, pid: process.pid, methods: ['flood'] },
}));

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, method, params } = JSON.parse(line);
  if (id === undefined) return;
  if (method === 'flood') {
    const lines = [];
    for (let i = 0; i < params.lines; i++) lines.push(`stray line ${i}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  out(JSON.stringify({ jsonrpc: '2.0', id, result: method === 'flood' ? params.lines : params ?? null }));
});

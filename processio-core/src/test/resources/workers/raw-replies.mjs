// Test fixture, a raw script (not served by the runtime) that speaks protocol 1 by hand,
// to send replies the Node runtime never would. Methods:
//   swap      the first call waits; the second is answered first, then the first
//   nested    result carries its own "id" (999), and the top-level "id" comes last
//   oversize  result is a string of params.bytes 'x' characters, whatever the frame limit
//   corrupt   a line that starts like JSON and is not
//   late      answered after params.ms milliseconds
//   stray     a non-JSON line, then the reply
//   deep      result nested params.depth objects deep: {"c":{"c":...null...}}
//   literal   result is params.json as it stands, not re-encoded
//   other     result = params
// processio/ping is answered with {}; notifications get no reply. Exits 0 at end of input.

const out = (line) => process.stdout.write(line + '\n');
const reply = (id, result) => out(JSON.stringify({ jsonrpc: '2.0', id, result: result ?? null }));

out(JSON.stringify({
  jsonrpc: '2.0',
  method: 'processio/ready',
  params: {
    protocol: 1,
    runtime: `node ${process.versions.node}`,
    pid: process.pid,
    methods: ['swap', 'nested', 'oversize', 'corrupt', 'late', 'stray'],
  },
}));

let swapWaiting = null;

function handle(msg) {
  const { id, method, params } = msg;
  if (id === undefined) return; // notification (cancel, shutdown): nothing to answer
  switch (method) {
    case 'processio/ping':
      return reply(id, {});
    case 'swap':
      if (swapWaiting === null) {
        swapWaiting = msg;
        return;
      }
      reply(id, params);
      reply(swapWaiting.id, swapWaiting.params);
      swapWaiting = null;
      return;
    case 'nested':
      return out(`{"jsonrpc":"2.0","result":{"id":999,"v":1},"id":${id}}`);
    case 'oversize':
      return out(`{"jsonrpc":"2.0","id":${id},"result":"${'x'.repeat(params.bytes)}"}`);
    case 'corrupt':
      return out(`{"jsonrpc":"2.0","id":@@ garbage, not JSON`);
    case 'deep':
      return out(`{"jsonrpc":"2.0","id":${id},"result":${'{"c":'.repeat(params.depth)}null${'}'.repeat(params.depth)}}`);
    case 'literal':
      return out(`{"jsonrpc":"2.0","id":${id},"result":${params.json}}`);
    case 'late':
      setTimeout(() => reply(id, params), params?.ms ?? 0);
      return;
    case 'stray':
      process.stdout.write('hello from a print statement\n');
      return reply(id, params);
    default:
      return reply(id, params);
  }
}

let buffered = '';
process.stdin.setEncoding('utf8'); // decodes characters split between chunks correctly
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\n')) !== -1) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (line.trim() !== '') handle(JSON.parse(line));
  }
});
// At end of input the process ends by itself once pending replies are written.
process.stdin.on('end', () => {});

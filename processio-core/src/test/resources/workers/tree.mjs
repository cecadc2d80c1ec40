// Test fixture, a raw script (not served by the runtime) that speaks protocol 1 by hand and
// starts long-lived children, for tests of what stopping a worker does to what it started:
//   node tree.mjs [--spawn KIND]...
// Each --spawn starts a child before processio/ready. KIND is one of
//   plain        sleep 300
//   ignore-term  sleep 300 with SIGTERM ignored (an ignored signal stays ignored across exec)
//   detached     sleep 300 in a session of its own, as a daemon would be
// Children never share the worker's pipes. Methods:
//   spawn     params.kind: starts a child now; returns its pid
//   exit      replies, then exits with params.code (default 0); its children live on
//   corrupt   a line that starts like JSON and is not: a protocol fault
//   pid       its own pid
// processio/ping is answered with {}. Exits 0 at end of input; its children live on.
import { spawn } from 'node:child_process';

function start(kind) {
  if (kind !== 'plain' && kind !== 'ignore-term' && kind !== 'detached') {
    throw new Error(`unknown kind of child: ${kind}`);
  }
  const [command, args] = kind === 'ignore-term'
    ? ['sh', ['-c', 'trap "" TERM; exec sleep 300']]
    : ['sleep', ['300']];
  const child = spawn(command, args, { stdio: 'ignore', detached: kind === 'detached' });
  child.unref();
  return child.pid;
}

const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--spawn') start(argv[++i]);
}

const out = (line) => process.stdout.write(line + '\n');
const reply = (id, result) => out(JSON.stringify({ jsonrpc: '2.0', id, result: result ?? null }));

out(JSON.stringify({
  jsonrpc: '2.0',
  method: 'processio/ready',
  params: { protocol: 1, runtime: `node ${process.versions.node}`, pid: process.pid },
}));

function handle({ id, method, params }) {
  if (id === undefined) return; // notification: nothing to answer
  switch (method) {
    case 'processio/ping':
      return reply(id, {});
    case 'spawn':
      return reply(id, start(params.kind));
    case 'exit':
      return process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id, result: 'bye' }) + '\n',
        () => process.exit(params?.code ?? 0));
    case 'corrupt':
      return out(`{"jsonrpc":"2.0","id":@@ not JSON`);
    case 'pid':
      return reply(id, process.pid);
    default:
      return out(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32601, message: `no method ${method}` } }));
  }
}

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\n')) !== -1) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (line.trim() !== '') handle(JSON.parse(line));
  }
});
process.stdin.on('end', () => process.exit(0));

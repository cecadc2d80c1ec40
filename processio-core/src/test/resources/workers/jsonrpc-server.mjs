// Test fixture: a plain JSON-RPC 2.0 server over stdio that knows nothing of processio. It never
// sends processio/ready. Usage: node jsonrpc-server.mjs [--cancel-method NAME] [--id-member NAME]
//
// Methods:
//   session/open {client}   must come first: every other method except health fails until then
//   session/fail            always answers with an error (an init call that fails)
//   whoami                  the client given to session/open, and the notifications seen so far
//   echo, add {a, b}, pid
//   sleep {ms}              answers after ms; a cancel notification ends it early and is recorded
//   lastCancelled           the ids the cancel notification named
//   ask {method}            sends a request of its own to the host and answers with the host's answer
//   chatty {n}              sends n notifications of its own, then answers
//   health                  answers at once (heartbeat and probe)
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const cancelMethod = option('--cancel-method', '$/cancelRequest');
const idMember = option('--id-member', 'id');

let client = null;
const notificationsSeen = [];
const sleeping = new Map();
const cancelled = [];
const asked = new Map();
let nextOwnId = 1;

const send = (message) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
const reply = (id, result) => send({ id, result });
const fail = (id, code, message) => send({ id, error: { code, message } });

const methods = {
  'session/open': ({ client: name }) => {
    client = name;
    return { opened: true };
  },
  'session/fail': () => {
    throw Object.assign(new Error('sessions are closed today'), { code: -32001 });
  },
  whoami: () => ({ client, notifications: notificationsSeen }),
  echo: (params) => params,
  add: ({ a, b }) => a + b,
  pid: () => process.pid,
  health: () => ({ ok: true }),
  lastCancelled: () => cancelled,
  sleep: ({ ms }, id) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sleeping.delete(id);
        resolve({ slept: ms });
      }, ms);
      sleeping.set(id, () => {
        clearTimeout(timer);
        reject(Object.assign(new Error('cancelled'), { code: -32800 }));
      });
    }),
  ask: ({ method }) =>
    new Promise((resolve) => {
      const own = `srv-${nextOwnId++}`;
      asked.set(own, resolve);
      send({ id: own, method, params: { from: 'jsonrpc-server' } });
    }),
  chatty: ({ n }) => {
    for (let i = 0; i < n; i++) send({ method: 'log/message', params: { i } });
    return n;
  },
};

const open = new Set(['session/open', 'session/fail', 'health', 'pid']);

async function handle(message) {
  if (message.method === undefined) {
    // An answer to one of our own requests.
    const resolve = asked.get(message.id);
    if (resolve) {
      asked.delete(message.id);
      resolve(message.error ? { error: message.error } : { result: message.result });
    }
    return;
  }
  if (message.id === undefined) {
    notificationsSeen.push(message.method);
    if (message.method === cancelMethod) {
      const target = message.params?.[idMember];
      cancelled.push(target);
      sleeping.get(target)?.();
    }
    return;
  }
  const method = methods[message.method];
  if (!method) return fail(message.id, -32601, `no method ${message.method}`);
  if (!open.has(message.method) && client === null) {
    return fail(message.id, -32002, 'call session/open first');
  }
  try {
    reply(message.id, await method(message.params ?? {}, message.id));
  } catch (e) {
    fail(message.id, e.code ?? -32000, e.message);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  handle(JSON.parse(line));
});
process.stdin.on('end', () => process.exit(0));
console.error(`jsonrpc-server ${process.pid} listening on stdin`);

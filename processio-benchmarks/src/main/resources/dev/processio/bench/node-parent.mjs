// The Node.js baseline: a minimal hand-written parent that does what the processio pool does,
// with Node's own child_process: spawns workers, writes one JSON-RPC request per line to a
// child's stdin and matches reply lines by id. Calls go round-robin over the children. "Callers"
// are concurrent async loops. A worker is either `node processio-worker.mjs echo.mjs`, whose
// processio/ready line the parent waits for, or the bare echo loop `node bare-echo.mjs`, which
// sends nothing first (requests wait in the pipe until it reads them).
//
// Usage: node node-parent.mjs '<json>' where json is
//   {"node": "...", "worker": ".../processio-worker.mjs", "module": ".../echo.mjs",
//    "bare": ".../bare-echo.mjs",
//    "tasks": [{"kind": "seq", "size": 100, "seconds": 1},
//              {"kind": "pipe", "workers": 2, "callers": 16, "size": 100, "seconds": 1, "bare": true},
//              {"kind": "cold", "workers": 4, "repeat": 5}]}
// A task with "bare": true runs on bare-echo.mjs children, else on processio-worker.mjs. A seq or
// pipe task with "calls": N makes at most N calls per caller (a smoke run); a cold task with
// "keep": true keeps its last pool for the later tasks with as many workers. A task's other fields
// are the caller's to use: it gets the task back. An optional "prestart": [{"workers": 1,
// "bare": true}] starts those pools before the first task; a bare pool is not waited for, so its
// children start while the first tasks run (a smoke run).
// Prints one JSON line per task on stdout: {"task":..., "calls":..., "seconds":..., ...}.

import { spawn } from 'node:child_process';

const config = JSON.parse(process.argv[2]);

function startChild(bare) {
  const args = bare ? [config.bare] : [config.worker, config.module];
  const child = spawn(config.node, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  const pending = new Map();
  let onReady;
  const ready = bare ? Promise.resolve() : new Promise((resolve) => { onReady = resolve; });
  const handle = (msg) => {
    if (msg.id === undefined) {
      if (msg.method === 'processio/ready') onReady();
      return;
    }
    const p = pending.get(msg.id);
    if (p) {
      pending.delete(msg.id);
      if ('result' in msg) p.resolve(msg.result);
      else p.reject(new Error(JSON.stringify(msg.error)));
    }
  };
  // Lines are split on the bytes: each chunk is searched once, and the pieces of a long line are
  // joined only when its newline arrives. A newline byte never occurs inside a UTF-8 sequence.
  let parts = [];
  child.stdout.on('data', (chunk) => {
    let start = 0;
    let nl;
    while ((nl = chunk.indexOf(10, start)) !== -1) {
      parts.push(chunk.subarray(start, nl));
      const line = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      parts = [];
      handle(JSON.parse(line.toString('utf8')));
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
  });
  return { child, pending, ready };
}

async function startPool(workers, bare) {
  const children = [];
  for (let i = 0; i < workers; i++) children.push(startChild(bare));
  await Promise.all(children.map((c) => c.ready));
  let nextId = 0;
  return {
    call(method, params) {
      const id = ++nextId;
      const c = children[id % children.length];
      return new Promise((resolve, reject) => {
        c.pending.set(id, { resolve, reject });
        c.child.stdin.write(`{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${JSON.stringify(params)}}\n`);
      });
    },
    async close() {
      await Promise.all(children.map((c) => new Promise((resolve) => {
        c.child.once('exit', resolve);
        c.child.stdin.end();
      })));
    },
  };
}

function paramsOf(size) {
  const text = 'x'.repeat(size - '{"text":""}'.length);
  return { text };
}

const pools = new Map();
async function pool(workers, bare) {
  const key = `${bare ? 'bare' : 'processio'}/${workers}`;
  if (!pools.has(key)) pools.set(key, await startPool(workers, bare));
  return pools.get(key);
}

async function callLoop(p, params, deadline, limit, latencies) {
  let calls = 0;
  while (calls < limit && process.hrtime.bigint() < deadline) {
    const before = process.hrtime.bigint();
    const r = await p.call('echo', params);
    if (r.text.length !== params.text.length) throw new Error('wrong reply');
    calls++;
    if (latencies) latencies.push(Number(process.hrtime.bigint() - before) / 1e3);
  }
  return calls;
}

async function run(task) {
  if (task.kind === 'cold') {
    const times = [];
    const repeat = task.repeat ?? 1;
    for (let i = 0; i < repeat; i++) {
      const start = process.hrtime.bigint();
      const p = await startPool(task.workers);
      await p.call('echo', paramsOf(100));
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      const key = `processio/${task.workers}`;
      if (task.keep && i === repeat - 1 && !pools.has(key)) pools.set(key, p);
      else await p.close();
    }
    times.sort((a, b) => a - b);
    return { millis: times[Math.floor(times.length / 2)], all: times };
  }
  const params = paramsOf(task.size);
  const p = await pool(task.workers ?? 1, task.bare === true);
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(task.seconds * 1e9));
  const limit = task.calls ?? Infinity;
  if (task.kind === 'seq') {
    const latencies = [];
    const calls = await callLoop(p, params, deadline, limit, latencies);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    latencies.sort((a, b) => a - b);
    const n = latencies.length;
    return { calls, seconds, p50: latencies[Math.floor(n / 2)], p99: latencies[Math.max(0, Math.ceil(n * 0.99) - 1)] };
  }
  const loops = [];
  for (let c = 0; c < task.callers; c++) loops.push(callLoop(p, params, deadline, limit, null));
  const counts = await Promise.all(loops);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { calls: counts.reduce((a, b) => a + b, 0), seconds };
}

for (const { workers, bare } of config.prestart ?? []) await pool(workers, bare === true);
for (const task of config.tasks) {
  const result = await run(task);
  process.stdout.write(JSON.stringify({ task, ...result }) + '\n');
}
for (const p of pools.values()) await p.close();

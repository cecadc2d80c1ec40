// The HTTP sidecar: what most teams write instead of a pipe to a worker pool. A node:http server on
// 127.0.0.1 with keep-alive, in front of the same module that processio's workers serve: POST
// /<method> with the params as a JSON body answers 200 with the method's result as a JSON body, or
// 500 with {"error": message} when it throws. With a worker count above 1, node:cluster forks that
// many servers that share the port, the usual way to use more than one CPU.
//
// Usage: node http-sidecar.mjs <module.mjs> [workers]
// Prints the port, alone on a line, once every server listens. Ends when its stdin ends (the
// cluster's primary first disconnects its workers, which then exit).

import cluster from 'node:cluster';
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const workers = Number(process.argv[3] ?? 1);

if (workers > 1 && cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', (worker, address) => {
    if (++listening === workers) process.stdout.write(`${address.port}\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    // Nothing replaces a worker that died, as in most sidecars: a supervisor restarts the whole thing.
    process.stderr.write(`http-sidecar: worker ${worker.process.pid} ended (${signal ?? code})\n`);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
  endWithStdin(() => cluster.disconnect(() => process.exit(0)));
} else {
  const handlers = await import(pathToFileURL(process.argv[2]).href);
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const method = req.url.slice(1);
    let status = 200;
    let body;
    try {
      const handler = handlers[method];
      if (typeof handler !== 'function') throw new Error(`no method ${method}`);
      body = JSON.stringify(await handler(JSON.parse(Buffer.concat(chunks).toString('utf8'))) ?? null);
    } catch (e) {
      status = 500;
      body = JSON.stringify({ error: String(e?.message ?? e) });
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  // Keep idle connections open between a benchmark's passes: the client's pooled connection must
  // not be closed under a request it sends after a pause.
  server.keepAliveTimeout = 0;
  server.listen(0, '127.0.0.1', () => {
    if (cluster.isPrimary) process.stdout.write(`${server.address().port}\n`);
  });
  if (cluster.isPrimary) endWithStdin(() => process.exit(0));
}

function endWithStdin(end) {
  process.stdin.on('end', end);
  process.stdin.resume();
}

// The bare echo loop: the worker a user would write by hand instead of processio-worker.mjs.
// Reads stdin, splits it into lines on '\n', parses each line as a JSON-RPC request and answers
// every request with its own params as the result, one process.stdout.write per reply. No
// ready line, no methods, no errors, no backpressure: the baselines that drive it (JavaPipeClient
// and node-parent.mjs, with "no ready") measure what processio-worker.mjs costs on top of this.
//
// Usage: node bare-echo.mjs     (ends when stdin ends)

process.stdin.setEncoding('utf8');

let buffered = '';
process.stdin.on('data', (chunk) => {
  // Only the new chunk is searched for newlines: a 1 MiB line arrives in many chunks.
  let from = buffered.length;
  buffered += chunk;
  let start = 0;
  let nl;
  while ((nl = buffered.indexOf('\n', from)) !== -1) {
    const line = buffered.slice(start, nl);
    start = nl + 1;
    from = start;
    if (line.length > 0) {
      const { id, params } = JSON.parse(line);
      process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id, result: params }) + '\n');
    }
  }
  buffered = start === 0 ? buffered : buffered.slice(start);
});

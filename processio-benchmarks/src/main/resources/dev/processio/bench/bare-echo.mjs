// The bare echo loop: the worker a user would write by hand instead of processio-worker.mjs.
// Reads stdin, splits it into lines on '\n', parses each line as a JSON-RPC request and answers
// every request with its own params as the result, one process.stdout.write per reply. No
// ready line, no methods, no errors, no backpressure. JavaPipeClient and node-parent.mjs drive it
// without waiting for processio/ready; against processio-worker.mjs echo.mjs, they show what the
// processio runtime costs on top of this loop.
//
// Usage: node bare-echo.mjs     (ends when stdin ends)

process.stdin.setEncoding('utf8');

// The start of a line whose newline has not arrived yet. Only each new chunk is searched for
// newlines, and the pieces of a long line are joined once, when it is parsed: searching the
// joined text again for every chunk made a 1 MiB line cost half as much again.
let rest = '';
process.stdin.on('data', (chunk) => {
  let start = 0;
  let nl;
  while ((nl = chunk.indexOf('\n', start)) !== -1) {
    const line = rest + chunk.slice(start, nl);
    rest = '';
    start = nl + 1;
    if (line.length > 0) {
      const { id, params } = JSON.parse(line);
      process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id, result: params }) + '\n');
    }
  }
  rest += chunk.slice(start);
});

// Test fixture, a raw script: speaks the processio protocol itself and answers every request with
// the trace context members of its own line, as the host wrote them: {traceparent, tracestate},
// each null when the request had none.
import { createInterface } from 'node:readline';

const send = (message) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
send({ method: 'processio/ready', params: { protocol: 1, runtime: `node ${process.versions.node}`, pid: process.pid } });
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const message = JSON.parse(line);
  if (message.id === undefined) return;
  send({ id: message.id, result: { traceparent: message.traceparent ?? null, tracestate: message.tracestate ?? null } });
});
process.stdin.on('end', () => process.exit(0));

// Test fixture, a raw script: announces a protocol version the host does not speak, then
// reads stdin until end of input.
process.stdout.write(JSON.stringify({
  jsonrpc: '2.0',
  method: 'processio/ready',
  params: { protocol: 2, runtime: `node ${process.versions.node}`, pid: process.pid },
}) + '\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

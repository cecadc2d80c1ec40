// Test fixture, a raw script: never writes anything; reads stdin and exits at its end.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

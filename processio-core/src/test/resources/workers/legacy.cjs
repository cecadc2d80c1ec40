// Test fixture: a CommonJS module served by processio-worker.mjs.
module.exports = {
  greet: (p) => 'hello ' + p.name,
  math: {
    square: (x) => x * x,
  },
};

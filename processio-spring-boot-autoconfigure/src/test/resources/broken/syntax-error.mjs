// Test module that cannot load: a syntax error on line 3 (unclosed parameter list).
export function fine() { return 1; }
export function broken( { return 2; }

// Test fixture: a module with a syntax error on line 3 (unclosed parameter list).
export function fine() { return 1; }
export function broken( { return 2; }
export function after() { return 3; }

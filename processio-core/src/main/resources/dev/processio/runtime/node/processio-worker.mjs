// processio Node.js worker runtime.
//
// Usage: node [node options] processio-worker.mjs <path-of-user-module>
//
// Loads the user module, serves its exported functions as JSON-RPC 2.0 methods over
// stdin/stdout (one message per line), and follows docs/protocol.md (protocol version 1).
// Only Node built-ins are used, so the file runs as is on Node 18 or later.

import { AsyncLocalStorage } from 'node:async_hooks';
import { Console } from 'node:console';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// --- stdout belongs to the protocol ------------------------------------------------------
// This must happen before the user module is loaded: a module (or a library it uses) that
// prints while loading would otherwise corrupt the protocol stream. We keep the real write
// function for protocol lines and send everything else to stderr, which the host logs.

const stdout = process.stdout;
const stderr = process.stderr;
const writeProtocol = stdout.write.bind(stdout);
stdout.write = (chunk, encoding, callback) => stderr.write(chunk, encoding, callback);
globalThis.console = new Console({ stdout: stderr, stderr });

// --- stderr lines name their call ----------------------------------------------------------
// A handler runs in an async context that holds its request id, and whatever it writes to
// stderr meanwhile (console.*, a stray process.stdout.write, process.stderr.write) goes out
// with every line tagged "\x1fc<id>\x1f" (docs/protocol.md, "Per-call logs"). All of them end
// in stderr.write, so that one function is wrapped. Outside a handler a write passes unchanged;
// the only extra work is to note whether it ended its line, so that text continuing a line
// is not tagged in the middle.

const callOfWrite = new AsyncLocalStorage(); // store: the id of the request whose handler runs
const writeStderr = stderr.write.bind(stderr);
let stderrAtLineStart = true;

stderr.write = function write(chunk, encoding, callback) {
  const id = callOfWrite.getStore();
  if (id === undefined || chunk == null || chunk.length === 0) {
    if (chunk != null && chunk.length > 0) stderrAtLineStart = endsLine(chunk);
    return writeStderr(chunk, encoding, callback);
  }
  const done = typeof encoding === 'function' ? encoding : callback;
  const tag = `\x1fc${id}\x1f`;
  const atStart = stderrAtLineStart;
  stderrAtLineStart = endsLine(chunk);
  if (typeof chunk === 'string' && (typeof encoding !== 'string' || /^utf-?8$/i.test(encoding))) {
    return writeStderr(tagText(chunk, tag, atStart), 'utf8', done);
  }
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
  return writeStderr(tagBytes(bytes, tag, atStart), done);
};

function endsLine(chunk) {
  return typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) === 10 : chunk[chunk.length - 1] === 10;
}

// The tag at the start (unless the text continues a line) and after every newline but a last one.
function tagText(text, tag, atStart) {
  const body = text.replace(/\n(?!$)/g, `\n${tag}`);
  return atStart ? tag + body : body;
}

function tagBytes(bytes, tag, atStart) {
  const tagBytes = Buffer.from(tag, 'latin1');
  const parts = atStart ? [tagBytes] : [];
  let start = 0;
  for (let nl = bytes.indexOf(10); nl !== -1 && nl < bytes.length - 1; nl = bytes.indexOf(10, start)) {
    parts.push(bytes.subarray(start, nl + 1), tagBytes);
    start = nl + 1;
  }
  parts.push(bytes.subarray(start));
  return Buffer.concat(parts);
}

const PROTOCOL_VERSION = 1;
const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;
const MAX_NESTING = 8;
const RESERVED_PREFIX = 'processio/';

const EXIT_BAD_USAGE = 2;
const EXIT_LOAD_FAILED = 3;

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
const INTERNAL_ERROR = -32603;
const HANDLER_ERROR = -32000;

const maxFrameSize = readMaxFrameSize();

// --- load the user module ----------------------------------------------------------------

if (!process.argv[2]) {
  stderr.write('usage: node processio-worker.mjs <path-of-module>\n',
    () => process.exit(EXIT_BAD_USAGE));
  await new Promise(() => {}); // the write callback above ends the process
}

const modulePath = resolve(process.argv[2]);
let userModule;
try {
  // import() of a file URL serves ES modules and CommonJS alike.
  userModule = await import(pathToFileURL(modulePath).href);
} catch (err) {
  stderr.write(`processio: failed to load module ${modulePath}\n`);
  // For a syntax error in an ES module, the error's stack holds neither the file nor the
  // line: Node keeps "file:line, source line, caret" in a hidden field that it prints only
  // when the error is uncaught. So we let it be uncaught (Node then prints location and
  // stack) and turn the exit code into ours. The user module's own handlers must not
  // swallow it: the module failed, they are of no use now.
  process.removeAllListeners('uncaughtException');
  if (process.hasUncaughtExceptionCaptureCallback()) process.setUncaughtExceptionCaptureCallback(null);
  process.on('exit', () => { process.exitCode = EXIT_LOAD_FAILED; });
  throw err;
}

const methods = collectMethods(userModule);

// --- protocol output ---------------------------------------------------------------------
// Replies that are ready in the same turn of the event loop go out in one write: lines are
// collected and written together once the current callbacks and promise reactions have run.

let outLines = [];      // whole lines, newline included, not yet handed to stdout
let flushQueued = false;
let unflushedWrites = 0; // protocol writes whose data has not yet reached the pipe
let waitingForDrain = false;

function send(line) {
  outLines.push(line + '\n');
  if (!flushQueued) {
    flushQueued = true;
    process.nextTick(flush);
  }
}

function flushed() {
  unflushedWrites--;
  exitIfDone();
}

// Writes the collected lines. When the pipe to the host is full, stop reading requests until
// it drains, so a host that does not read replies cannot make us buffer without bound.
function flush() {
  flushQueued = false;
  const text = outLines.length === 1 ? outLines[0] : outLines.join('');
  outLines = [];
  unflushedWrites++;
  const ok = writeProtocol(text, flushed);
  if (!ok && !waitingForDrain) {
    waitingForDrain = true;
    process.stdin.pause();
    stdout.once('drain', () => {
      waitingForDrain = false;
      process.stdin.resume();
    });
  }
}

// A string of n UTF-16 units takes at most 3n bytes in UTF-8: most lines need no counting.
function fits(line) {
  return 3 * line.length + 1 <= maxFrameSize || Buffer.byteLength(line) + 1 <= maxFrameSize;
}

function sendResult(id, value) {
  let json;
  try {
    json = value === undefined ? 'null' : JSON.stringify(value);
  } catch (err) {
    return sendError(id, INTERNAL_ERROR, `result of the method could not be encoded as JSON: ${describe(err)}`);
  }
  if (json === undefined) {
    // JSON.stringify gives no text at all for a function or a symbol; a reply without
    // "result" would be a corrupt frame for the host.
    return sendError(id, INTERNAL_ERROR, `result of the method could not be encoded as JSON: a ${typeof value} has no JSON form`);
  }
  const line = `{"jsonrpc":"2.0","id":${id},"result":${json}}`;
  if (!fits(line)) {
    return sendError(id, INTERNAL_ERROR,
      `result of the method is too large: ${Buffer.byteLength(line) + 1} bytes exceeds the frame limit of ${maxFrameSize} bytes`);
  }
  send(line);
}

function sendError(id, code, message, data) {
  const error = data === undefined ? { code, message } : { code, message, data };
  let line = JSON.stringify({ jsonrpc: '2.0', id, error });
  if (!fits(line)) {
    // A huge message or stack must not break the frame limit either.
    line = JSON.stringify({ jsonrpc: '2.0', id, error: {
      code, message: `${message.slice(0, 1000)}... (error reply truncated: larger than the frame limit)` } });
  }
  send(line);
}

// A progress notification for request `id`. A value JSON cannot encode throws, as a bug in the
// handler should; a value too large for a frame is dropped with a line on stderr, and the call
// goes on: progress is advisory, and the host may drop values too.
function sendProgress(id, value) {
  const json = value === undefined ? 'null' : JSON.stringify(value);
  if (json === undefined) throw new TypeError(`a progress value must have a JSON form; a ${typeof value} has none`);
  const line = `{"jsonrpc":"2.0","method":"processio/progress","params":{"id":${id},"value":${json}}}`;
  if (!fits(line)) {
    stderr.write(`processio: progress of request ${id} dropped: ${Buffer.byteLength(line) + 1} bytes exceeds the frame limit of ${maxFrameSize} bytes\n`);
    return false;
  }
  send(line);
  return true;
}

function describe(err) {
  try {
    return String(err?.message ?? err);
  } catch {
    return 'unprintable error';
  }
}

// --- requests ----------------------------------------------------------------------------

class InvalidParamsError extends Error {
  name = 'InvalidParamsError';
}

// The context a handler gets as its second argument. Its AbortSignal is made only when a
// handler asks for it: most never do, and an AbortController per call is the runtime's
// largest cost. A cancel that arrives first is kept, so a signal asked for later is aborted.
// progress(value) sends processio/progress while the call runs; it returns whether the value
// was sent (false for a notification, after the call has settled, or when it is too large).
// traceparent and tracestate are the request's W3C trace context members, or null.
class Context {
  #controller = null;
  #cancelReason = null;
  #settled = false;

  constructor(id, method, traceparent, tracestate) {
    this.id = id;
    this.method = method;
    this.traceparent = traceparent;
    this.tracestate = tracestate;
  }

  get signal() {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#cancelReason !== null) this.#controller.abort(this.#cancelReason);
    }
    return this.#controller.signal;
  }

  invalidParams(message) {
    return new InvalidParamsError(message);
  }

  progress(value) {
    if (this.id === null || this.#settled) return false;
    return sendProgress(this.id, value);
  }

  settled() {
    this.#settled = true;
  }

  cancel(reason) {
    if (this.#cancelReason !== null) return;
    this.#cancelReason = reason;
    if (this.#controller !== null) this.#controller.abort(reason);
  }
}

const contexts = new Map(); // request id -> Context of a request in flight, for processio/cancel
let running = 0; // handlers not yet settled, notifications included
let closing = false; // processio/shutdown or EOF seen: accept no more requests

function handleLine(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    return sendError(null, PARSE_ERROR, `Parse error: ${err.message}`);
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    return sendError(null, INVALID_REQUEST, 'Invalid Request: expected a JSON-RPC 2.0 request object (batches are not supported)');
  }
  const hasId = Object.hasOwn(msg, 'id');
  const { id, method, params } = msg;
  if (hasId && !Number.isSafeInteger(id)) {
    return sendError(null, INVALID_REQUEST, 'Invalid Request: "id" must be an integer');
  }
  if (msg.jsonrpc !== '2.0' || typeof method !== 'string') {
    return sendError(hasId ? id : null, INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0" and "method" a string');
  }

  if (method.startsWith(RESERVED_PREFIX)) return handleReserved(method, params, hasId, id);

  const entry = methods.get(method);
  if (!entry) {
    if (hasId) return sendError(id, METHOD_NOT_FOUND, `Method not found: ${method}`);
    return void stderr.write(`processio: notification for unknown method ${method} ignored\n`);
  }
  invoke(entry, method, params, hasId ? id : null, msg);
}

function handleReserved(method, params, hasId, id) {
  switch (method) {
    case 'processio/ping':
      // Answered right here, from the event loop: that is what the host wants to know.
      if (hasId) sendResult(id, { pid: process.pid, inFlight: running });
      return;
    case 'processio/cancel': {
      const context = contexts.get(params?.id);
      if (context) {
        const reason = new Error(`request ${params.id} was cancelled by the host`);
        reason.name = 'CancelledError';
        context.cancel(reason);
      }
      if (hasId) sendResult(id, null);
      return;
    }
    case 'processio/shutdown':
      if (hasId) sendResult(id, null);
      shutdown();
      return;
    default:
      if (hasId) sendError(id, METHOD_NOT_FOUND, `Method not found: ${method}`);
  }
}

// Calls a handler without waiting for it: async handlers of different requests run
// concurrently, and each reply goes out as soon as its handler settles. A request's handler
// runs in the async context that tags its stderr lines; a notification's has no id to tag with.
function invoke({ fn, owner }, method, params, id, msg) {
  const context = new Context(id, method, stringOrNull(msg.traceparent), stringOrNull(msg.tracestate));
  running++;
  let outcome;
  try {
    outcome = id === null ? fn.call(owner, params, context)
      : callOfWrite.run(id, () => fn.call(owner, params, context));
  } catch (err) {
    return settle(context, true, err);
  }
  if (typeof outcome?.then === 'function') {
    // Only a handler still running when this returns can be cancelled: a cancel is read from
    // stdin only between callbacks, so a handler that returned a value is done already.
    if (id !== null) contexts.set(id, context);
    Promise.resolve(outcome).then((value) => settle(context, false, value), (err) => settle(context, true, err));
  } else {
    settle(context, false, outcome);
  }
}

function settle(context, failed, value) {
  const { id, method } = context;
  context.settled();
  running--;
  if (id !== null && contexts.get(id) === context) contexts.delete(id);
  if (id === null) {
    // A notification has nobody to answer, but its failure should not vanish silently.
    if (failed) stderr.write(`processio: notification ${method} failed: ${value?.stack ?? describe(value)}\n`);
  } else if (!failed) {
    sendResult(id, value);
  } else if (value instanceof InvalidParamsError) {
    sendError(id, INVALID_PARAMS, value.message);
  } else {
    sendError(id, HANDLER_ERROR, describe(value), {
      type: String(value?.name ?? typeof value),
      stack: typeof value?.stack === 'string' ? value.stack : null,
    });
  }
  exitIfDone();
}

// --- shutdown ----------------------------------------------------------------------------

function shutdown() {
  closing = true;
  exitIfDone();
}

// Exits once every handler has settled and every reply has been handed to the pipe: stdout
// is asynchronous on a pipe, and process.exit() would drop whatever is still queued. The
// same holds for stderr, so the exit waits behind an empty write that queues after the
// last log line.
let exiting = false;
function exitIfDone() {
  if (exiting || !closing || running > 0 || unflushedWrites > 0 || outLines.length > 0) return;
  exiting = true;
  stderr.write('', () => process.exit(0));
}

// --- stdin framing -----------------------------------------------------------------------
// Bytes are split on '\n' before decoding, so a UTF-8 character cut between two chunks is
// never decoded in halves. The pieces of a line are kept in an array and joined once, when
// its newline arrives, so a big frame costs linear time.

let pieces = [];
let lineBytes = 0;
let oversized = false; // the current line broke the frame limit; skip it to its newline

function addPiece(piece) {
  lineBytes += piece.length;
  if (oversized) return;
  if (lineBytes + 1 > maxFrameSize) {
    oversized = true;
    pieces.length = 0;
  } else if (piece.length > 0) {
    pieces.push(piece);
  }
}

function endLine() {
  if (closing) {
    // Shutting down: later requests are ignored, never half served.
  } else if (oversized) {
    sendError(null, INVALID_REQUEST,
      `Invalid Request: a line of ${lineBytes + 1} bytes exceeds the frame limit of ${maxFrameSize} bytes`);
  } else if (lineBytes > 0) {
    handleText((pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, lineBytes)).toString('utf8'));
  }
  pieces.length = 0;
  lineBytes = 0;
  oversized = false;
}

// A line whose first character is not white space is not blank: no trimmed copy is needed.
function handleText(text) {
  if (text.charCodeAt(0) > 32 || text.trim() !== '') handleLine(text);
}

function onData(chunk) {
  if (typeof chunk === 'string') chunk = Buffer.from(chunk, 'utf8'); // user code set an encoding
  let start = 0;
  while (start < chunk.length) {
    const newline = chunk.indexOf(10, start);
    if (newline === -1) {
      addPiece(chunk.subarray(start));
      return;
    }
    if (lineBytes === 0 && newline - start + 1 <= maxFrameSize) {
      // A whole line inside this chunk, the usual case: decoded in place.
      if (newline > start && !closing) handleText(chunk.toString('utf8', start, newline));
    } else {
      addPiece(chunk.subarray(start, newline));
      endLine();
    }
    start = newline + 1;
  }
}

function onEnd() {
  if (lineBytes > 0) stderr.write(`processio: ${lineBytes} bytes after the last newline ignored at end of input\n`);
  // End of input means the same as processio/shutdown; it is also how a worker whose host
  // died goes away by itself.
  shutdown();
}

// --- start -------------------------------------------------------------------------------

send(JSON.stringify({
  jsonrpc: '2.0',
  method: 'processio/ready',
  params: {
    protocol: PROTOCOL_VERSION,
    runtime: `node ${process.versions.node}`,
    pid: process.pid,
    methods: [...methods.keys()],
  },
}));

process.stdin.on('data', onData);
process.stdin.on('end', onEnd);
process.stdin.on('error', (err) => {
  stderr.write(`processio: cannot read stdin: ${describe(err)}\n`);
  shutdown();
});

// --- helpers -----------------------------------------------------------------------------

function readMaxFrameSize() {
  const raw = process.env.PROCESSIO_MAX_FRAME_SIZE;
  if (raw === undefined || raw === '') return DEFAULT_MAX_FRAME_SIZE;
  const value = Number(raw);
  if (Number.isSafeInteger(value) && value > 0) return value;
  stderr.write(`processio: ignoring invalid PROCESSIO_MAX_FRAME_SIZE=${raw}, using ${DEFAULT_MAX_FRAME_SIZE}\n`);
  return DEFAULT_MAX_FRAME_SIZE;
}

// Every exported function is a method; plain objects nest, giving dotted names
// ("text.slugify"). For CommonJS, import() puts module.exports on `default`: its properties
// are served without a "default." prefix, and a function exported as a whole is "default".
function collectMethods(namespace) {
  const table = new Map();
  const refused = new Set();
  const add = (name, fn, owner) => {
    if (name.startsWith(RESERVED_PREFIX)) {
      if (refused.has(name)) return;
      refused.add(name);
      stderr.write(`processio: export ${name} not served: names starting with ${RESERVED_PREFIX} are reserved\n`);
    } else if (!table.has(name)) { // a named export wins over the same name under default
      table.set(name, { fn, owner });
    }
  };
  const walk = (object, prefix, depth, ancestors, skip = []) => {
    if (depth > MAX_NESTING || ancestors.has(object)) return;
    ancestors.add(object);
    for (const key of Object.keys(object)) {
      if (skip.includes(key)) continue;
      let value;
      try {
        value = object[key];
      } catch {
        continue; // a throwing getter is not a method
      }
      if (typeof value === 'function') add(prefix + key, value, object);
      else if (isPlainObject(value)) walk(value, `${prefix}${key}.`, depth + 1, ancestors);
    }
    ancestors.delete(object);
  };

  // Named exports first. "default" is handled below; newer Node versions also expose a
  // CommonJS module's exports as "module.exports", which would only repeat "default".
  walk(namespace, '', 0, new Set(), ['default', 'module.exports']);

  const fallback = namespace.default;
  if (typeof fallback === 'function') add('default', fallback, namespace);
  if (typeof fallback === 'function' || isPlainObject(fallback)) walk(fallback, '', 0, new Set());
  return table;
}

function stringOrNull(value) {
  return typeof value === 'string' ? value : null;
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

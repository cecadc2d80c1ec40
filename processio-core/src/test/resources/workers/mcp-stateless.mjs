// Test fixture, a raw script without dependencies: an MCP server that speaks only the stateless
// 2026-07-28 revision over stdio, one JSON-RPC message per line on stdin and stdout, logs on
// stderr. The real servers on npm speak 2025-11-25 (initialize handshake); this one is what a
// server of the new revision looks like to the mcp dialect:
//   server/discover  {resultType, supportedVersions, capabilities: {tools: {}}, serverInfo, ...};
//                    answered without _meta too, so that a client can probe with it
//   every other request must carry params._meta with "io.modelcontextprotocol/protocolVersion"
//                    and "io.modelcontextprotocol/clientCapabilities": a version this server does
//                    not speak gets -32022 (UnsupportedProtocolVersionError, data {supported,
//                    requested}); a missing or malformed key gets -32602
//   initialize, ping -32601: the revision has no handshake and no ping
//   tools/list, tools/call with the tools below; results carry resultType "complete" and the
//                    server's identity in _meta["io.modelcontextprotocol/serverInfo"]
// Tools:
//   echo {text}          content [{type: "text", text}]
//   add {a, b}           text a + b, structuredContent {sum}
//   sleep {ms, steps}    answers after ms; with _meta.progressToken, sends `steps` (default 4)
//                        notifications/progress on the way. notifications/cancelled {requestId}
//                        ends it without an answer
//   lastCancelled {}     structuredContent {requestId, reason, inFlight} of the last
//                        notifications/cancelled received (requestId null before any)
//   meta {}              structuredContent {meta}: the _meta the request carried
//   pid {}               structuredContent {pid}
//   fail {message}       a tool error: isError true, the message as text
// Options, to misbehave on purpose:
//   --legacy-too         also serves the 2025-11-25 handshake: initialize, then requests without
//                        _meta (ping too) under that revision
//   --crash-after N      exits with code 3, unanswered, when request N + 1 arrives
//   --versions A,B       the protocol versions it accepts (default 2026-07-28)
//   --ignore-eof         keeps running after stdin ends, until a signal ends it
//   --ignore-sigterm     survives SIGTERM
// At end of input the process ends by itself once the sleeps in flight have answered.

const PROTOCOL_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
const CLIENT_CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';
const SERVER_INFO_KEY = 'io.modelcontextprotocol/serverInfo';
const LEGACY_VERSION = '2025-11-25';
const SERVER_INFO = { name: 'processio-test-stateless', version: '1.0.0' };

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
const UNSUPPORTED_PROTOCOL_VERSION = -32022;

function option(name) {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}
const legacyToo = process.argv.includes('--legacy-too');
const ignoreEof = process.argv.includes('--ignore-eof');
const crashAfter = option('--crash-after') === undefined ? Infinity : Number(option('--crash-after'));
const versions = (option('--versions') ?? '2026-07-28').split(',');

const log = (text) => process.stderr.write(`mcp-stateless[${process.pid}]: ${text}\n`);
const send = (message) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
const fail = (id, code, message, data) =>
  send({ id, error: data === undefined ? { code, message } : { code, message, data } });

class InvalidParams extends Error {}

let requests = 0;
let legacySession = false; // an initialize was answered (--legacy-too only)
let lastCancelled = { requestId: null, reason: null, inFlight: false };
const sleeping = new Map(); // key(id) -> {timers}: the sleep calls in flight

// Ids are strings or numbers, and 1 and "1" are different requests.
const key = (id) => `${typeof id}:${id}`;

// A result under the revision the request was served with.
function result(modern, fields, cacheable = false) {
  if (!modern) return fields;
  return {
    resultType: 'complete',
    ...fields,
    ...(cacheable ? { ttlMs: 0, cacheScope: 'private' } : {}),
    _meta: { [SERVER_INFO_KEY]: SERVER_INFO },
  };
}

const text = (value) => ({ content: [{ type: 'text', text: String(value) }] });
const structured = (value) => ({ ...text(JSON.stringify(value)), structuredContent: value });

const TOOLS = [
  {
    name: 'echo',
    description: 'Answers with the text it was given.',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
  {
    name: 'add',
    description: 'Adds two numbers.',
    inputSchema: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    },
  },
  {
    name: 'sleep',
    description: 'Answers after ms milliseconds, with progress notifications when asked for them.',
    inputSchema: {
      type: 'object',
      properties: { ms: { type: 'number' }, steps: { type: 'integer' } },
      required: ['ms'],
    },
  },
  {
    name: 'lastCancelled',
    description: 'The last notifications/cancelled this server received.',
    inputSchema: { type: 'object', properties: {} },
  },
  {
    name: 'meta',
    description: 'The _meta the request carried.',
    inputSchema: { type: 'object', properties: {} },
  },
  {
    name: 'pid',
    description: "The server's process id.",
    inputSchema: { type: 'object', properties: {} },
  },
  {
    name: 'fail',
    description: 'A tool error (isError) with the given message.',
    inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
  },
  {
    name: 'askHost',
    description: 'Sends a request of its own to the host; structuredContent {answer}: the whole reply.',
    inputSchema: { type: 'object', properties: { method: { type: 'string' } } },
  },
];

// Replies to the requests this server sent to the host (askHost), by their ids.
const asked = new Map();
let askedCount = 0;

function need(condition, message) {
  if (!condition) throw new InvalidParams(message);
}

// Answers a tools/call, now or (sleep) later.
function callTool(id, params, modern) {
  const { name, arguments: args = {} } = params ?? {};
  const answer = (fields) => send({ id, result: result(modern, fields) });
  need(typeof args === 'object' && args !== null, 'arguments must be an object');
  switch (name) {
    case 'echo':
      need(typeof args.text === 'string', 'echo needs {text: string}');
      return answer(text(args.text));
    case 'add':
      need(typeof args.a === 'number' && typeof args.b === 'number', 'add needs {a: number, b: number}');
      return answer({ ...text(args.a + args.b), structuredContent: { sum: args.a + args.b } });
    case 'sleep':
      need(typeof args.ms === 'number' && args.ms >= 0, 'sleep needs {ms: number >= 0}');
      return sleep(id, args, params?._meta?.progressToken, answer);
    case 'lastCancelled':
      return answer(structured(lastCancelled));
    case 'meta':
      return answer(structured({ meta: params?._meta ?? null }));
    case 'pid':
      return answer(structured({ pid: process.pid }));
    case 'fail':
      return answer({ ...text(args.message ?? 'failed on purpose'), isError: true });
    case 'askHost': {
      need(typeof args.method === 'string', 'askHost needs {method: string}');
      const own = `ask-${++askedCount}`;
      asked.set(own, (reply) => answer(structured({ answer: reply })));
      return send({ id: own, method: args.method });
    }
    default:
      throw new InvalidParams(`Unknown tool: ${name}`);
  }
}

function sleep(id, { ms, steps = 4 }, progressToken, answer) {
  const timers = [];
  if (progressToken !== undefined) {
    for (let step = 1; step <= steps; step++) {
      timers.push(setTimeout(() => send({
        method: 'notifications/progress',
        params: { progressToken, progress: step, total: steps, message: `step ${step} of ${steps}` },
      }), (ms * step) / (steps + 1)));
    }
  }
  timers.push(setTimeout(() => {
    sleeping.delete(key(id));
    answer(text(`slept ${ms} ms`));
  }, ms));
  sleeping.set(key(id), { timers });
}

function cancelled(params) {
  const { requestId, reason = null } = params ?? {};
  const call = sleeping.get(key(requestId));
  if (call !== undefined) {
    call.timers.forEach(clearTimeout);
    sleeping.delete(key(requestId));
  }
  lastCancelled = { requestId: requestId ?? null, reason, inFlight: call !== undefined };
  log(`cancelled ${JSON.stringify(requestId)} (${reason ?? 'no reason'})${call ? '' : ', not in flight'}`);
}

// The revision a request is served under: true for 2026-07-28, false for a legacy session's
// request without _meta. Throws what the request is answered with when it declares no usable one.
function revisionOf(id, params) {
  const meta = params?._meta;
  if (legacySession && meta?.[PROTOCOL_VERSION_KEY] === undefined) return false;
  if (meta === undefined || meta === null || typeof meta !== 'object') {
    throw new InvalidParams(`params._meta is missing: MCP ${versions.join(', ')} needs ${PROTOCOL_VERSION_KEY} `
      + `and ${CLIENT_CAPABILITIES_KEY} in it on every request`);
  }
  const version = meta[PROTOCOL_VERSION_KEY];
  need(typeof version === 'string', `params._meta["${PROTOCOL_VERSION_KEY}"] is missing or not a string`);
  if (!versions.includes(version)) {
    fail(id, UNSUPPORTED_PROTOCOL_VERSION, 'Unsupported protocol version', { supported: versions, requested: version });
    return null;
  }
  const capabilities = meta[CLIENT_CAPABILITIES_KEY];
  need(typeof capabilities === 'object' && capabilities !== null && !Array.isArray(capabilities),
    `params._meta["${CLIENT_CAPABILITIES_KEY}"] is missing or not an object`);
  return true;
}

function discover(id, params) {
  const version = params?._meta?.[PROTOCOL_VERSION_KEY];
  if (version !== undefined && !versions.includes(version)) {
    return fail(id, UNSUPPORTED_PROTOCOL_VERSION, 'Unsupported protocol version', { supported: versions, requested: version });
  }
  send({
    id,
    result: result(true, {
      supportedVersions: versions,
      capabilities: { tools: {} },
      serverInfo: SERVER_INFO,
    }, true),
  });
}

function initialize(id, params) {
  if (!legacyToo) {
    return fail(id, METHOD_NOT_FOUND,
      `Method not found: initialize. This server speaks MCP ${versions.join(', ')}, which has no handshake`);
  }
  legacySession = true;
  log(`initialize from ${JSON.stringify(params?.clientInfo ?? null)}, asked for ${params?.protocolVersion}`);
  send({
    id,
    result: { protocolVersion: LEGACY_VERSION, capabilities: { tools: {} }, serverInfo: SERVER_INFO },
  });
}

function request(msg) {
  const { id, method, params } = msg;
  if (++requests > crashAfter) {
    log(`crashing on request ${requests} (${method}, id ${JSON.stringify(id)}): --crash-after ${crashAfter}`);
    process.exit(3);
  }
  if (method === 'server/discover') return discover(id, params);
  if (method === 'initialize') return initialize(id, params);
  const modern = revisionOf(id, params);
  if (modern === null) return; // answered already
  switch (method) {
    case 'tools/list':
      return send({ id, result: result(modern, { tools: TOOLS }, true) });
    case 'tools/call':
      return callTool(id, params, modern);
    case 'ping':
      if (!modern) return send({ id, result: {} });
    // fall through: 2026-07-28 has no ping
    default:
      return fail(id, METHOD_NOT_FOUND, `Method not found: ${method}`);
  }
}

function handle(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return fail(null, PARSE_ERROR, 'Parse error');
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg) || msg.jsonrpc !== '2.0') {
    return fail(msg?.id ?? null, INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message');
  }
  if (typeof msg.method !== 'string') {
    if ('result' in msg || 'error' in msg) {
      const resolve = asked.get(msg.id);
      if (!resolve) return log(`ignored a response (id ${JSON.stringify(msg.id)}) to no request of this server`);
      asked.delete(msg.id);
      return resolve(msg);
    }
    return fail(msg.id ?? null, INVALID_REQUEST, 'Invalid Request: no method');
  }
  if (msg.id === undefined) {
    if (msg.method === 'notifications/cancelled') return cancelled(msg.params);
    if (msg.method === 'notifications/initialized' && legacySession) return;
    return log(`ignored notification ${msg.method}`);
  }
  try {
    request(msg);
  } catch (e) {
    if (!(e instanceof InvalidParams)) throw e;
    fail(msg.id, INVALID_PARAMS, `Invalid params: ${e.message}`);
  }
}

if (process.argv.includes('--ignore-sigterm')) {
  process.on('SIGTERM', () => log('SIGTERM ignored (--ignore-sigterm)'));
}

let buffered = '';
process.stdin.setEncoding('utf8'); // decodes characters split between chunks correctly
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\n')) !== -1) {
    const line = buffered.slice(0, newline).trim();
    buffered = buffered.slice(newline + 1);
    if (line !== '') handle(line);
  }
});
process.stdin.on('end', () => {
  log(`stdin closed, ${sleeping.size} call(s) in flight${ignoreEof ? ', staying alive (--ignore-eof)' : ''}`);
  if (ignoreEof) setInterval(() => {}, 60_000);
});
process.on('exit', (code) => log(`exit ${code}`));

log(`ready: MCP ${versions.join(', ')}${legacyToo ? ` and ${LEGACY_VERSION} (--legacy-too)` : ''} on stdio`);

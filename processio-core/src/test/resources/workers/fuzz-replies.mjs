// Test fixture, a raw script (not served by the runtime) that speaks protocol 1 by hand and
// answers each "fuzz" request with a mutation of a valid reply, drawn from a seeded generator.
//
//   node fuzz-replies.mjs <seed>
//
// Methods:
//   echo              a valid reply, result = params (to see that the pool serves again)
//   fuzz              params {kind?}: the reply mutated the way `kind` says (KINDS lists them); without
//                     a kind, one drawn from KINDS. The choices a mutation makes (which bit, where to cut) come
//                     from a generator seeded with the seed and the request id, so a run is
//                     replayed by the seed and the order of the calls.
//   processio/ping    answered with {}
// Notifications get no reply. Each mutation is logged to stderr as "fuzz <id> <kind> <detail>".
// Exits 0 at end of input.

const KINDS = [
  'none', 'bitflip', 'truncate', 'utf8', 'duplicate', 'duplicate-other', 'id-wrong', 'id-huge', 'id-float',
  'id-null', 'id-string',
  'other-pending', 'second-reply', 'batch', 'deep', 'digits', 'nul', 'oversize', 'deep-valid', 'error-deep',
  'stray',
];

const seed = process.argv[2] ?? '0';
const maxFrameSize = Number(process.env.PROCESSIO_MAX_FRAME_SIZE ?? 16 * 1024 * 1024);

/** FNV-1a of a string: a 32-bit seed for the generator. */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: small, fast, and the same in every Node version. Returns an integer in [0, n). */
function generator(state) {
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const write = (bytes) => process.stdout.write(bytes);
const line = (text) => write(Buffer.from(text + '\n', 'utf8'));
const log = (text) => process.stderr.write(text + '\n');

line(JSON.stringify({
  jsonrpc: '2.0',
  method: 'processio/ready',
  params: { protocol: 1, runtime: `node ${process.versions.node}`, pid: process.pid, methods: ['echo', 'fuzz'] },
}));

/** The reply the runtime would write: a result with text of every UTF-8 length, numbers and nesting. */
function validReply(id, params) {
  return JSON.stringify({ jsonrpc: '2.0', id, result: { echo: params ?? null, text: 'héllo ✓ 𝄞', n: [1, 2.5, -3] } });
}

/** The one "fuzz" request held back by other-pending, answered with the next one's reply. */
let held = null;

function fuzz(id, params) {
  const random = generator(hash(`${seed}:${id}`));
  const kind = params?.kind ?? KINDS[random(KINDS.length)];
  const valid = validReply(id, params);
  const bytes = Buffer.from(valid, 'utf8');
  let detail = '';
  switch (kind) {
    case 'none':
      line(valid);
      break;
    case 'bitflip': {
      // Any bit: a flip into a newline splits the line in two, which a broken pipe writer can do too.
      const flips = 1 + random(3);
      for (let k = 0; k < flips; k++) {
        const at = random(bytes.length);
        const bit = random(8);
        bytes[at] ^= 1 << bit;
        detail += ` ${at}:${bit}`;
      }
      write(Buffer.concat([bytes, Buffer.from('\n')]));
      break;
    }
    case 'truncate': {
      const at = random(bytes.length);
      detail = ` at ${at}`;
      write(Buffer.concat([bytes.subarray(0, at), Buffer.from('\n')]));
      break;
    }
    case 'utf8': {
      // Inside the result's text: a lone continuation byte, an overlong form, a surrogate, a cut sequence.
      const bad = [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf0, 0x9f], [0xff], [0xf5, 0x80, 0x80, 0x80]];
      const pick = bad[random(bad.length)];
      const at = valid.indexOf('héllo') + 1;
      detail = ` ${Buffer.from(pick).toString('hex')}`;
      write(Buffer.concat([Buffer.from(valid.slice(0, at)), Buffer.from(pick), Buffer.from(valid.slice(at) + '\n')]));
      break;
    }
    case 'duplicate': {
      const members = [`"jsonrpc":"2.0"`, `"id":${id}`, `"result":null`];
      const member = members[random(members.length)];
      detail = ` ${member}`;
      line(valid.replace('{', `{${member},`));
      break;
    }
    case 'duplicate-other':
      // A member the protocol does not define, twice: ignored.
      line(valid.replace('{', '{"x":1,"x":2,'));
      break;
    case 'id-string':
      line(valid.replace(`"id":${id}`, `"id":"${id}"`));
      break;
    case 'id-wrong':
      line(validReply(id + 1_000_000, params));
      break;
    case 'id-huge':
      line(valid.replace(`"id":${id}`, `"id":9${'0'.repeat(30)}${id}`)); // past long
      break;
    case 'id-float':
      line(valid.replace(`"id":${id}`, `"id":${[`${id}.5`, `${id}.0`, `${id}e0`][random(3)]}`));
      break;
    case 'id-null':
      line(valid.replace(`"id":${id}`, '"id":null'));
      break;
    case 'other-pending':
      // This request's reply goes to the one held before it, and this one waits for the next.
      if (held !== null) {
        detail = ` answers ${held}`;
        line(validReply(held, params));
      }
      held = id;
      break;
    case 'second-reply':
      line(valid);
      line(valid);
      break;
    case 'batch':
      line(`[${valid}]`);
      break;
    case 'deep': {
      const depth = 100_000;
      line(`{"jsonrpc":"2.0","id":${id},"result":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      break;
    }
    case 'digits':
      line(`{"jsonrpc":"2.0","id":${id},"result":${'7'.repeat(1_000_000)}}`);
      break;
    case 'nul': {
      const count = 1 + random(3);
      let out = bytes;
      for (let k = 0; k < count; k++) {
        const at = random(out.length + 1);
        detail += ` ${at}`;
        out = Buffer.concat([out.subarray(0, at), Buffer.from([0]), out.subarray(at)]);
      }
      write(Buffer.concat([out, Buffer.from('\n')]));
      break;
    }
    case 'deep-valid': {
      // Within the depth limit (two levels a step, and the envelope): a valid reply.
      const depth = 4_500;
      line(`{"jsonrpc":"2.0","id":${id},"result":${'{"a":['.repeat(depth)}${']}'.repeat(depth)}}`);
      break;
    }
    case 'error-deep': {
      const depth = 9_000;
      line(`{"jsonrpc":"2.0","id":${id},"error":{"code":-32000,"message":"deep","data":{"type":"E","more":`
          + `${'['.repeat(depth)}${']'.repeat(depth)}}}}`);
      break;
    }
    case 'stray':
      // Not a protocol message: control characters and a terminal escape, then the reply.
      write(Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x0d, 0x07, 0x00, 0x20, 0x68, 0x69, 0x0a]));
      line(valid);
      break;
    case 'oversize':
      line(`{"jsonrpc":"2.0","id":${id},"result":"${'x'.repeat(maxFrameSize + 16)}"}`);
      break;
    default:
      log(`fuzz ${id}: no kind ${kind}`);
      line(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32602, message: `no kind ${kind}` } }));
      return;
  }
  log(`fuzz ${id} ${kind}${detail}`);
}

function handle(msg) {
  const { id, method, params } = msg;
  if (id === undefined) return; // notification (cancel, shutdown): nothing to answer
  switch (method) {
    case 'processio/ping':
      return line(JSON.stringify({ jsonrpc: '2.0', id, result: {} }));
    case 'fuzz':
      return fuzz(id, params);
    default:
      return line(JSON.stringify({ jsonrpc: '2.0', id, result: params ?? null }));
  }
}

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\n')) !== -1) {
    const text = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (text.trim() !== '') handle(JSON.parse(text));
  }
});
process.stdin.on('end', () => {});

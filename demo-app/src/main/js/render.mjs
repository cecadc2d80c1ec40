// The Node.js worker module of the processio demo, served by processio's Node runtime.
// `npm run build` bundles it with its npm dependencies into target/classes/js/render.mjs,
// so the jar carries one file instead of node_modules.
//
// Methods: render (Markdown to sanitized HTML), slowJob (a long call that reports its progress
// and stops when cancelled) and, for the chaos profile, chaos.* which make the worker that runs
// them misbehave in one of the ways processio must survive.

import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Marked } from 'marked';
import { markedHighlight } from 'marked-highlight';
import hljs from 'highlight.js/lib/common';
import sanitizeHtml from 'sanitize-html';

const marked = new Marked(
  { gfm: true },
  markedHighlight({
    emptyLangClass: 'hljs',
    langPrefix: 'hljs language-',
    highlight(code, lang) {
      const language = hljs.getLanguage(lang) ? lang : 'plaintext';
      return hljs.highlight(code, { language }).value;
    },
  }),
);

// Markdown may carry raw HTML; everything marked and highlight.js emit passes, scripts, event
// handlers and javascript: links do not.
const SANITIZE = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'del', 'input'],
  allowedAttributes: {
    a: ['href', 'title'],
    img: ['src', 'alt', 'title'],
    th: ['align'],
    td: ['align'],
    ol: ['start'],
    input: [{ name: 'type', values: ['checkbox'] }, 'checked', 'disabled'],
  },
  allowedClasses: {
    code: ['hljs', 'language-*'],
    span: ['hljs-*', 'language-*'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
};

/** "render": {markdown} to {html, worker}; worker is this process's pid. */
export function render(params, context) {
  const markdown = params?.markdown;
  if (typeof markdown !== 'string') throw context.invalidParams('"markdown" must be a string');
  const html = sanitizeHtml(marked.parse(markdown), SANITIZE);
  return { html, worker: process.pid };
}

/**
 * "slowJob": {steps, ms} to {steps, worker}. Waits `ms` per step and reports {step, of, worker}
 * after each. When the host cancels the call, the signal aborts the wait at once, so the handler
 * stops where it is (its answer, an AbortError, is dropped by the host) and the worker is free.
 */
export async function slowJob(params, context) {
  const steps = params?.steps;
  const ms = params?.ms;
  if (!Number.isInteger(steps) || steps < 1) throw context.invalidParams('"steps" must be a positive integer');
  if (!Number.isInteger(ms) || ms < 0) throw context.invalidParams('"ms" must be a non-negative integer');
  // Tagged with this call's id by the runtime: the application logs it with the HTTP request's trace id.
  console.log(`slowJob: ${steps} steps of ${ms} ms`);
  const { signal } = context;
  for (let step = 1; step <= steps; step++) {
    await sleep(ms, undefined, { signal });
    context.progress({ step, of: steps, worker: process.pid });
  }
  return { steps, worker: process.pid };
}

// Each chaos method answers first (with the pid it hit), then misbehaves, so the Java side
// learns which worker it was; "hang" cannot answer and is called with a short timeout.
const AFTER_REPLY_MS = 50;

export const chaos = {
  /** Exits the process. */
  crash() {
    setTimeout(() => process.exit(13), AFTER_REPLY_MS);
    return { worker: process.pid };
  },

  /**
   * Closes fd 0, so the host's next write gets EPIPE. Destroying process.stdin alone leaves
   * fd 0 open; closing the fd once the stream has let go of it closes the pipe. A timer keeps
   * the process alive: with stdin gone, nothing else would, and it would exit instead.
   */
  closeStdin() {
    setInterval(() => {}, 60_000);
    setTimeout(() => {
      process.stdin.once('close', () => fs.closeSync(0));
      process.stdin.destroy();
    }, AFTER_REPLY_MS);
    return { worker: process.pid };
  },

  /**
   * Stops reading stdin for `seconds`: the pipe fills, and the host's writes wait for it. It
   * stops at once (the reply still goes out on stdout), so the host's next request already waits.
   */
  stall(params) {
    const seconds = Math.min(Math.max(Number(params?.seconds) || 3, 1), 60);
    process.stdin.pause();
    setTimeout(() => process.stdin.resume(), seconds * 1000);
    return { worker: process.pid, seconds };
  },

  /** Spins forever on the event loop: no reply, no heartbeat, until the host kills it. */
  hang() {
    for (;;) { /* busy */ }
  },

  /** Writes a line that starts like JSON-RPC but is corrupt: a protocol fault for the host. */
  garbage() {
    setTimeout(() => fs.writeSync(1, '{"jsonrpc":"2.0","id":@@garbage\n'), AFTER_REPLY_MS);
    return { worker: process.pid };
  },
};

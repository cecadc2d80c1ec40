# Test fixture served by processio_worker.py: the methods of echo.mjs, so that one suite drives
# both runtimes. The names follow echo.mjs, camelCase included.

import asyncio
import logging
import os
import re
import threading
import time

_lock = threading.Lock()  # handlers run on several threads
_last_aborted = None
_abort_count = 0
_counters = {}
_last_seq = -1
_signal_read = None


class CancelledError(Exception):
    """What delay raises when its request is cancelled, as echo.mjs rejects with the host's reason."""


def _aborted(request_id):
    global _last_aborted, _abort_count
    with _lock:
        _last_aborted = request_id
        _abort_count += 1


def echo(params):
    return params


def add(params):
    return params["a"] + params["b"]


# Returns `value` after `ms`; when the request is cancelled, fails at once and remembers which
# request it was (see lastAbort).
def delay(params, context):
    params = params or {}
    if context.cancelled.wait(params.get("ms", 0) / 1000):
        _aborted(context.id)
        raise CancelledError("request %s was cancelled by the host" % context.id)
    return params.get("value")


# delay as a coroutine: a cancel reaches it as the cancellation of its task.
async def delayAsync(params, context):
    params = params or {}
    try:
        await asyncio.sleep(params.get("ms", 0) / 1000)
    except asyncio.CancelledError:
        _aborted(context.id)
        raise
    return params.get("value")


# Waits `ms` without looking at its cancel event, then reads it: a cancel that came meanwhile
# must show. What it saw is kept for lastSignalRead, since its own reply is late by then.
def readSignalLater(params, context):
    global _signal_read
    time.sleep(params["ms"] / 1000)
    _signal_read = {"id": context.id, "aborted": context.cancelled.is_set()}
    return _signal_read


def lastSignalRead():
    return _signal_read


def fail(params):
    raise TypeError((params or {}).get("message"))


def invalid(params, context):
    raise context.invalid_params("bad")


def lastAbort():
    with _lock:
        return {"id": _last_aborted, "count": _abort_count}


def big(params):
    return "x" * params["bytes"]


def record(params):
    key = params["key"]
    with _lock:
        _counters[key] = _counters.get(key, 0) + 1
        return _counters[key]


def counts():
    with _lock:
        return dict(_counters)


# Checks that requests arrive in order: n must be 0, 1, 2, ... A coroutine, since coroutines
# start in the order their requests arrived, as handlers do in Node; threads need not.
async def seq(params):
    global _last_seq
    n = params["n"]
    if n != _last_seq + 1:
        raise ValueError("out of order: expected %d, got %d" % (_last_seq + 1, n))
    _last_seq = n
    return n


def pid():
    return os.getpid()


# Writes `text` the ordinary ways: all of it must reach stderr and leave the protocol alone.
def log(params):
    text = params["text"]
    print(text)
    logging.getLogger("echo").warning(text)
    os.write(1, (text + "\n").encode("utf-8"))
    return "ok"


def _text_of(p):
    return str(p["text"] if isinstance(p, dict) else p)


class TextTools:
    """Nested methods: "text.upper" and "text.slugify". The parameter is the string itself, or
    an object {"text": "..."}."""

    def upper(self, s):
        return _text_of(s).upper()

    def slugify(self, s):
        return re.sub(r"^-+|-+$", "", re.sub(r"[^a-z0-9]+", "-", _text_of(s).lower()))


text = TextTools()


# Progress: reports n, n - 1, ..., 1 as fast as it can, then answers with how many it sent.
def countdown(params, context):
    sent = 0
    for i in range(params["n"], 0, -1):
        if context.progress(i):
            sent += 1
    return sent


# Reports a string of `bytes` characters, then the value "small"; answers with what
# context.progress returned for each.
def progressBig(params, context):
    return {"big": context.progress("x" * params["bytes"]), "small": context.progress("small")}


# Reports {step, of} for step 1..steps, one every `ms`, then answers "done".
async def steps(params, context):
    count = params["steps"]
    for step in range(1, count + 1):
        await asyncio.sleep(params["ms"] / 1000)
        context.progress({"step": step, "of": count})
    return "done"

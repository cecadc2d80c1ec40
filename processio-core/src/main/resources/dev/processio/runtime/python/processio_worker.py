# processio Python worker runtime.
#
# Usage: python3 -B processio_worker.py <path-of-user-module>
#
# Loads the user module, serves its functions as JSON-RPC 2.0 methods over stdin/stdout (one
# message per line), and follows docs/protocol.md (protocol version 1). Only the standard
# library is used, and nothing newer than Python 3.9.
#
# Methods. A function defined in the module itself is a method under its own name; what the
# module imports is not. An object assigned at module level whose class is defined in the
# module, or a types.SimpleNamespace, serves its public callable attributes under dotted names
# ("text.upper"), and objects of the same two sorts among those attributes nest further.
# Names that start with "_" are private. Classes are never methods.
#
# Handlers are called as handler(params, context): params is the request's "params" as JSON
# decoded it (None when absent). A handler that takes one positional parameter is called as
# handler(params), one that takes none as handler(). `async def` handlers, and whatever a
# handler returns that is awaitable, run on the runtime's one asyncio event loop, in the main
# thread. Other handlers run on a thread pool of PROCESSIO_PYTHON_THREADS threads (default
# min(32, CPU count + 4), the default of concurrent.futures), so a handler that blocks holds
# one thread, not the worker. A call cancelled before its handler started is not started.
#
# The context: context.id (None for a notification), context.method, context.traceparent and
# context.tracestate (the request's W3C trace context members, None when absent), context.cancelled (a
# threading.Event, set when the host cancels the request; the task of an async handler is
# cancelled as well), context.invalid_params(message), an exception to raise for -32602, and
# context.progress(value), which sends processio/progress from any thread while the call runs and
# returns whether it did: False for a notification, once the call has been answered, or for a
# value too large for a frame (dropped, with a line on stderr); a value json.dumps cannot encode
# raises.
# Any other exception becomes -32000 with data.type (the class name) and data.stack (the
# traceback). A result must be encodable by json.dumps (NaN and infinities are refused).
#
# stdout belongs to the protocol. Before the user module is loaded, the runtime keeps private
# descriptors of the real stdin and stdout, points fd 1 and sys.stdout at stderr and fd 0 at
# /dev/null: print(), logging, C extensions and child processes write to stderr, which the host
# logs, and nothing in user code can read the requests. While a handler runs, what it writes
# through sys.stderr (print, logging, traceback) goes out line by line, each line tagged with its
# request id (docs/protocol.md, "Per-call logs"); fd 1 and fd 2 themselves are not tagged.
#
# Exit codes: 0 after processio/shutdown or end of input, once every call in flight has been
# answered; 2 for a bad command line or a Python older than 3.9; 3 when the user module failed
# to load (the traceback is on stderr). SIGINT ends the worker at once, as it ends a Node one.

import sys

if sys.version_info < (3, 9):
    sys.stderr.write("processio: the Python worker runtime needs Python 3.9 or later; %s is %s\n"
                     % (sys.executable, sys.version.split()[0]))
    sys.exit(2)

import asyncio
import concurrent.futures
import contextvars
import faulthandler
import functools
import importlib.machinery
import importlib.util
import inspect
import json
import os
import signal
import threading
import traceback
import types

PROTOCOL_VERSION = 1
DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024
MAX_NESTING = 8
RESERVED_PREFIX = "processio/"
READY = "processio/ready"
PING = "processio/ping"
CANCEL = "processio/cancel"
SHUTDOWN = "processio/shutdown"

EXIT_BAD_USAGE = 2
EXIT_LOAD_FAILED = 3

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
HANDLER_ERROR = -32000

READ_BUFFER = 1 << 16
SEPARATORS = (",", ":")

# The stderr of the process, kept in case user code replaces sys.stderr.
STDERR = sys.stderr


def log(text):
    STDERR.write(text + "\n")
    STDERR.flush()


# --- stderr lines name their call ----------------------------------------------------------

class CallLog:
    """The stderr text of one request's handler: whole lines go out at once, each tagged
    "\\x1fc<id>\\x1f"; a line not yet ended is kept until its newline, since print() writes the
    text and its end separately, and concurrent handlers must not split each other's lines. Used
    by the threads that run the handler (one, as a rule)."""

    __slots__ = ("tag", "_pending")

    # A line longer than this goes out without waiting for its end: the host cuts such lines anyway.
    LONGEST = 8192

    def __init__(self, id):
        self.tag = "\x1fc%d\x1f" % id
        self._pending = ""

    def write(self, text):
        end = text.rfind("\n")
        if end == -1:
            self._pending += text
            if len(self._pending) > self.LONGEST:
                self.end()
            return len(text)
        lines = self._pending + text[:end]
        self._pending = text[end + 1:]
        STDERR.write(self.tag + lines.replace("\n", "\n" + self.tag) + "\n")
        return len(text)

    def end(self):
        """Writes what is left of a line that was not ended."""
        if self._pending:
            pending, self._pending = self._pending, ""
            STDERR.write(self.tag + pending + "\n")
            STDERR.flush()


CALL_LOG = contextvars.ContextVar("processio_call_log", default=None)

# What starting a handler returns when the call has ended already (cancelled, or it raised).
_SETTLED = object()


class TaggedStderr:
    """sys.stderr while the worker serves: text written while a handler runs goes through the
    handler's CallLog, other text to the real stderr unchanged. Everything else is the real
    stderr's."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        call_log = CALL_LOG.get()
        if call_log is None or type(text) is not str:
            return self._stream.write(text)
        return call_log.write(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)


# --- frames --------------------------------------------------------------------------------

class Output:
    """Protocol frames to the real stdout. Any thread may send: the lock keeps each frame whole,
    and each is flushed at once, so no -u is needed."""

    def __init__(self, file, max_frame_size):
        self.max_frame_size = max_frame_size
        self._file = file
        self._lock = threading.Lock()
        self._broken = False  # guarded by _lock

    def send(self, line):
        """Writes one frame: line is UTF-8 JSON without a raw newline, which is added here."""
        with self._lock:
            if self._broken:
                return
            try:
                self._file.write(line + b"\n")
                self._file.flush()
            except OSError as e:
                # The host has gone; end of input follows, and with it the exit.
                self._broken = True
                log("processio: cannot write to stdout (%s); replies are dropped from now on" % describe(e))

    def close(self):
        with self._lock:
            self._broken = True
            self._file.close()

    def result(self, id, value):
        try:
            body = json.dumps(value, ensure_ascii=False, separators=SEPARATORS, allow_nan=False)
            body = body.encode("utf-8")
        except Exception as e:  # TypeError, ValueError, RecursionError, UnicodeEncodeError
            self.error(id, INTERNAL_ERROR,
                       "result of the method could not be encoded as JSON: %s" % describe(e))
            return
        line = b'{"jsonrpc":"2.0","id":%d,"result":%s}' % (id, body)
        if len(line) + 1 > self.max_frame_size:
            self.error(id, INTERNAL_ERROR, "result of the method is too large: %d bytes exceeds the frame"
                       " limit of %d bytes" % (len(line) + 1, self.max_frame_size))
            return
        self.send(line)

    def progress(self, id, value):
        """Sends processio/progress for request id; False when the value is too large for a frame."""
        body = json.dumps(value, ensure_ascii=False, separators=SEPARATORS, allow_nan=False).encode("utf-8")
        line = b'{"jsonrpc":"2.0","method":"processio/progress","params":{"id":%d,"value":%s}}' % (id, body)
        if len(line) + 1 > self.max_frame_size:
            log("processio: progress of request %d dropped: %d bytes exceeds the frame limit of %d bytes"
                % (id, len(line) + 1, self.max_frame_size))
            return False
        self.send(line)
        return True

    def error(self, id, code, message, data=None):
        error = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        line = error_line(id, error)
        if len(line) + 1 > self.max_frame_size:
            # A huge message or stack must not break the frame limit either.
            line = error_line(id, {"code": code, "message": message[:1000]
                                   + "... (error reply truncated: larger than the frame limit)"})
        self.send(line)


def error_line(id, error):
    # ASCII escapes: a message may hold anything, lone surrogates included.
    return json.dumps({"jsonrpc": "2.0", "id": id, "error": error}, separators=SEPARATORS).encode("ascii")


def describe(exc):
    try:
        text = str(exc)
    except Exception:
        text = ""
    return text or type(exc).__name__


def user_traceback(exc):
    """The traceback of exc as text, without the frames of this runtime and of importlib that
    lead into user code."""
    tb = exc.__traceback__
    while tb is not None and is_runtime_file(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def is_runtime_file(filename):
    return filename == RUNTIME_FILE or filename.startswith("<frozen importlib")


# --- handlers ------------------------------------------------------------------------------

class InvalidParamsError(Exception):
    """Raised by a handler (raise context.invalid_params("...")) to answer -32602."""


class Context:
    """What a handler gets as its second argument. Its cancelled event is set by the stdin
    thread; _task is only used on the event loop thread; _settled is set once, by the thread
    that answers the call."""

    __slots__ = ("id", "method", "traceparent", "tracestate", "cancelled", "_task", "_output", "_settled", "_log")

    def __init__(self, id, method, output, traceparent, tracestate):
        self.id = id
        self.method = method
        self.traceparent = traceparent
        self.tracestate = tracestate
        self.cancelled = threading.Event()
        self._task = None
        self._output = output
        self._settled = False
        self._log = None if id is None else CallLog(id)  # a notification has no id to tag with

    def invalid_params(self, message):
        return InvalidParamsError(message)

    def progress(self, value):
        if self.id is None or self._settled:
            return False
        return self._output.progress(self.id, value)

    def __repr__(self):
        return "Context(id=%r, method=%r, cancelled=%s)" % (self.id, self.method, self.cancelled.is_set())


class Method:
    __slots__ = ("fn", "arity", "is_async")

    def __init__(self, fn):
        self.fn = fn
        self.arity = positional_arity(fn)
        self.is_async = inspect.iscoroutinefunction(fn)

    def call(self, params, context):
        if self.arity == 2:
            return self.fn(params, context)
        if self.arity == 1:
            return self.fn(params)
        return self.fn()


def positional_arity(fn):
    """How many of (params, context) the handler takes: 0, 1 or 2."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2  # no signature to read (some built-ins): give it both
    count = 0
    for p in parameters:
        if p.kind is p.VAR_POSITIONAL:
            return 2
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return min(count, 2)


# --- the user module -----------------------------------------------------------------------

def load_module(path):
    """Imports the module at path as `python3 path` would see it: its directory first on
    sys.path (in place of this runtime's own), registered in sys.modules under its file name
    unless that name is taken, as it is by a standard module this runtime imported."""
    directory = os.path.dirname(path)
    own = os.path.dirname(os.path.abspath(RUNTIME_FILE))
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == own:
        sys.path[0] = directory
    else:
        sys.path.insert(0, directory)
    stem = os.path.splitext(os.path.basename(path))[0]
    name = stem if stem and stem not in sys.modules else "_processio_module"
    # An explicit loader: the file is source whatever its suffix.
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before it runs, as import does: dataclasses and pickle look it up
    try:
        loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def collect_methods(module):
    """Method name -> Method, in the order of definition."""
    table = {}

    def walk(obj, prefix, depth, ancestors):
        if depth > MAX_NESTING or id(obj) in ancestors:
            return
        ancestors.add(id(obj))
        for key, value in public_attributes(obj):
            if is_served_object(value, module):
                walk(value, prefix + key + ".", depth + 1, ancestors)
            elif callable(value) and not inspect.isclass(value):
                table.setdefault(prefix + key, Method(value))
        ancestors.discard(id(obj))

    for key, value in list(vars(module).items()):
        if key.startswith("_"):
            continue
        try:
            if is_served_object(value, module):
                walk(value, key + ".", 1, set())
            elif is_own_function(value, module):
                table.setdefault(key, Method(value))
        except Exception as e:
            # A lazy proxy or the like that fails when looked at is not a method; the rest still are.
            log("processio: module attribute %s skipped: %s" % (key, describe(e)))
    return table


def is_own_function(value, module):
    """A function defined in the module: decorated ones count, as functools.wraps keeps __module__."""
    return (callable(value) and not inspect.isclass(value)
            and getattr(value, "__module__", None) == module.__name__)


def is_served_object(value, module):
    if isinstance(value, types.SimpleNamespace):
        return True
    return not inspect.isclass(value) and type(value).__module__ == module.__name__


def public_attributes(obj):
    """(name, value) of the public attributes of obj: its own first, then those of its classes.
    Properties and other computed attributes are left out, since reading one runs user code."""
    own = getattr(obj, "__dict__", None)
    if not isinstance(own, dict):
        own = {}
    names = list(own)
    for cls in type(obj).__mro__:
        if cls.__module__ != "builtins":
            names.extend(vars(cls))
    seen = set()
    for name in names:
        if name.startswith("_") or name in seen:
            continue
        seen.add(name)
        if name in own:
            yield name, own[name]
            continue
        static = inspect.getattr_static(obj, name, None)
        if isinstance(static, (types.FunctionType, staticmethod, classmethod, types.MemberDescriptorType)):
            try:
                yield name, getattr(obj, name)
            except AttributeError:
                pass  # an empty slot
        elif not hasattr(type(static), "__get__"):
            yield name, static


# --- the worker ----------------------------------------------------------------------------

class Worker:
    """Serves the methods. The stdin thread reads and dispatches requests and answers
    processio/ping itself; sync handlers run on the thread pool, async ones on the loop in the
    main thread; any of them sends its own reply. _lock guards _running, _contexts and
    _closing."""

    def __init__(self, methods, requests, output, loop, threads):
        self._methods = methods
        self._requests = requests
        self._output = output
        self._loop = loop
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=threads,
                                                               thread_name_prefix="processio-handler")
        self._lock = threading.Lock()
        self._running = 0  # handlers not yet settled, notifications included
        self._contexts = {}  # request id -> Context of a call in flight, for processio/cancel
        self._closing = False  # processio/shutdown or end of input seen: no more requests
        self._finished = loop.create_future()  # only touched on the loop thread

    def serve(self):
        """Runs until shutdown and every call in flight has been answered."""
        self._output.send(json.dumps({
            "jsonrpc": "2.0",
            "method": READY,
            "params": {
                "protocol": PROTOCOL_VERSION,
                "runtime": "python " + sys.version.split()[0],
                "pid": os.getpid(),
                "methods": list(self._methods),
            },
        }, ensure_ascii=False, separators=SEPARATORS).encode("utf-8"))
        reader = threading.Thread(target=self._read, name="processio-stdin", daemon=True)
        reader.start()
        try:
            self._loop.run_until_complete(self._finished)
        finally:
            self._executor.shutdown(wait=True)
            close_loop(self._loop)
        # Only now: the stdin thread has stopped reading, and every reply has been sent.
        self._requests.close()
        self._output.close()

    # -- stdin thread --

    def _read(self):
        try:
            while self._read_line():
                pass
        except BaseException as e:
            # A worker that has stopped reading must still finish and exit.
            log("processio: stopped reading requests: " + user_traceback(e))
        finally:
            with self._lock:
                self._closing = True
            self._loop.call_soon_threadsafe(self._finish_if_done)

    def _read_line(self):
        """Reads and handles one line; False once there is nothing more to read."""
        limit = self._output.max_frame_size
        line = self._requests.readline(limit)
        if not line:
            return False
        if not line.endswith(b"\n"):
            if len(line) < limit:
                log("processio: %d bytes after the last newline ignored at end of input" % len(line))
                return False
            # Longer than the frame limit: skip to its newline without keeping it.
            size = len(line)
            while True:
                more = self._requests.readline(READ_BUFFER)
                size += len(more)
                if not more:
                    return False
                if more.endswith(b"\n"):
                    break
            self._output.error(None, INVALID_REQUEST, "Invalid Request: a line of %d bytes exceeds the frame"
                               " limit of %d bytes" % (size, limit))
            return True
        if line[0] <= 32 and not line.strip():
            return True  # an empty line
        return self._handle(line)

    def _handle(self, line):
        """Handles one request line; False when it asks for shutdown."""
        out = self._output
        try:
            msg = json.loads(line.decode("utf-8"), parse_constant=refuse_constant)
        except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
            out.error(None, PARSE_ERROR, "Parse error: %s" % describe(e))
            return True
        if not isinstance(msg, dict):
            out.error(None, INVALID_REQUEST,
                      "Invalid Request: expected a JSON-RPC 2.0 request object (batches are not supported)")
            return True
        has_id = "id" in msg
        id = msg.get("id")
        if has_id and type(id) is not int:  # not bool, not float
            out.error(None, INVALID_REQUEST, 'Invalid Request: "id" must be an integer')
            return True
        method = msg.get("method")
        if msg.get("jsonrpc") != "2.0" or not isinstance(method, str):
            out.error(id, INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0" and "method" a string')
            return True
        params = msg.get("params")
        if method.startswith(RESERVED_PREFIX):
            return self._reserved(method, params, id)
        entry = self._methods.get(method)
        if entry is None:
            if id is not None:
                out.error(id, METHOD_NOT_FOUND, "Method not found: %s" % method)
            else:
                log("processio: notification for unknown method %s ignored" % method)
            return True
        self._invoke(entry, method, params, id, msg)
        return True

    def _reserved(self, method, params, id):
        out = self._output
        if method == PING:
            # Answered here, whatever the handlers are doing: that is what the host wants to know.
            if id is not None:
                with self._lock:
                    running = self._running
                out.result(id, {"pid": os.getpid(), "inFlight": running})
            return True
        if method == CANCEL:
            target = params.get("id") if isinstance(params, dict) else None
            context = None
            if type(target) is int:
                with self._lock:
                    context = self._contexts.get(target)
            if context is not None:
                context.cancelled.set()
                self._loop.call_soon_threadsafe(self._cancel_task, context)
            if id is not None:
                out.result(id, None)
            return True
        if method == SHUTDOWN:
            if id is not None:
                out.result(id, None)
            return False
        if id is not None:
            out.error(id, METHOD_NOT_FOUND, "Method not found: %s" % method)
        return True

    def _invoke(self, entry, method, params, id, msg):
        traceparent = msg.get("traceparent")
        tracestate = msg.get("tracestate")
        context = Context(id, method, self._output, traceparent if type(traceparent) is str else None,
                          tracestate if type(tracestate) is str else None)
        with self._lock:
            self._running += 1
            if id is not None:
                self._contexts[id] = context
        if entry.is_async:
            self._loop.call_soon_threadsafe(self._start_async, entry, params, context)
        else:
            self._executor.submit(self._run_sync, entry, params, context)

    # -- thread pool --

    def _run_sync(self, entry, params, context):
        # The thread's own context: what the handler hands to the loop (call_soon_threadsafe
        # copies it) is tagged too.
        token = CALL_LOG.set(context._log)
        try:
            self._call_sync(entry, params, context)
        finally:
            CALL_LOG.reset(token)

    def _call_sync(self, entry, params, context):
        value = self._begin(entry, params, context)
        if value is _SETTLED:
            return
        if inspect.isawaitable(value):
            self._loop.call_soon_threadsafe(self._watch, value, context)
        else:
            self._settle(context, None, value)

    def _begin(self, entry, params, context):
        """Calls the handler: what it returned, or _SETTLED when the call has ended already."""
        if context.cancelled.is_set():
            self._settle(context, cancelled_error(context), None)
            return _SETTLED
        try:
            return entry.call(params, context)
        except BaseException as e:
            self._settle(context, e, None)
            return _SETTLED

    # -- event loop thread --

    def _start_async(self, entry, params, context):
        # Set in this callback's own copy of the context, which the handler's task copies.
        CALL_LOG.set(context._log)
        value = self._begin(entry, params, context)
        if value is _SETTLED:
            return
        if inspect.isawaitable(value):
            self._watch(value, context)
        else:
            self._settle(context, None, value)

    def _watch(self, awaitable, context):
        try:
            task = asyncio.ensure_future(awaitable, loop=self._loop)
        except BaseException as e:
            self._settle(context, e, None)
            return
        context._task = task
        if context.cancelled.is_set():
            task.cancel(cancel_message(context))
        task.add_done_callback(functools.partial(self._task_done, context))

    def _task_done(self, context, task):
        context._task = None
        try:
            value = task.result()
        except BaseException as e:  # asyncio.CancelledError included
            self._settle(context, e, None)
        else:
            self._settle(context, None, value)

    def _cancel_task(self, context):
        task = context._task
        if task is not None and not task.done():
            task.cancel(cancel_message(context))

    def _finish_if_done(self):
        with self._lock:
            done = self._closing and self._running == 0
        if done and not self._finished.done():
            self._finished.set_result(None)

    # -- any thread --

    def _settle(self, context, error, value):
        """Answers a call, then counts it done: a shutdown waits for the reply, not only for the handler."""
        id = context.id
        out = self._output
        context._settled = True
        if context._log is not None:
            context._log.end()
        if id is None:
            # A notification has nobody to answer, but its failure should not vanish silently.
            if error is not None:
                log("processio: notification %s failed: %s" % (context.method, user_traceback(error)))
        elif error is None:
            out.result(id, value)
        elif isinstance(error, InvalidParamsError):
            out.error(id, INVALID_PARAMS, describe(error))
        else:
            out.error(id, HANDLER_ERROR, describe(error),
                      {"type": type(error).__name__, "stack": user_traceback(error)})
        with self._lock:
            self._running -= 1
            if id is not None and self._contexts.get(id) is context:
                del self._contexts[id]
            done = self._closing and self._running == 0
        if done:
            self._loop.call_soon_threadsafe(self._finish_if_done)


def refuse_constant(name):
    # Python reads NaN and Infinity, which are not JSON; JSON.parse refuses them, and so do we.
    raise ValueError("%s is not valid JSON" % name)


def cancel_message(context):
    return "request %s was cancelled by the host" % context.id


def cancelled_error(context):
    return asyncio.CancelledError(cancel_message(context))


def close_loop(loop):
    """What asyncio.run does at the end: cancel the tasks user code left, finish async
    generators and the default executor, close."""
    try:
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


# --- start ---------------------------------------------------------------------------------

def read_positive_env(name, default):
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value > 0:
        return value
    log("processio: ignoring invalid %s=%s, using %d" % (name, raw, default))
    return default


def take_standard_streams():
    """Returns private binary files on the real stdin and stdout; fd 0 then reads /dev/null and
    fd 1 writes to stderr. This must happen before the user module is loaded: a module (or a
    library it uses) that prints while loading would otherwise corrupt the protocol stream."""
    requests = os.fdopen(os.dup(0), "rb", buffering=READ_BUFFER)
    frames = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stderr = TaggedStderr(STDERR)
    sys.stdout = sys.stderr
    return requests, frames


def main(argv):
    if len(argv) < 2 or not argv[1]:
        log("usage: python3 processio_worker.py <path-of-module>")
        return EXIT_BAD_USAGE
    faulthandler.enable()  # a crash in native code leaves its Python stack on stderr
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    max_frame_size = read_positive_env("PROCESSIO_MAX_FRAME_SIZE", DEFAULT_MAX_FRAME_SIZE)
    threads = read_positive_env("PROCESSIO_PYTHON_THREADS", min(32, (os.cpu_count() or 1) + 4))
    requests, frames = take_standard_streams()
    # The loop exists before the module runs, so that what the module makes at import time for
    # asyncio belongs to the loop its handlers run on.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    path = os.path.abspath(argv[1])
    sys.argv = [path] + argv[2:]
    try:
        module = load_module(path)
        methods = collect_methods(module)
    except BaseException as e:
        log("processio: failed to load module %s" % path)
        STDERR.write(user_traceback(e))
        STDERR.flush()
        # At once: threads the module may have started must not hold the process.
        os._exit(EXIT_LOAD_FAILED)
    asyncio.set_event_loop(loop)  # in case the module ran asyncio.run(), which unsets it
    Worker(methods, requests, Output(frames, max_frame_size), loop, threads).serve()
    return 0


RUNTIME_FILE = main.__code__.co_filename

if __name__ == "__main__":
    sys.exit(main(sys.argv))

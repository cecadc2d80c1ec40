# Test fixture served by processio_worker.py: what only the Python runtime has. Which names it
# serves, how handlers of each arity and kind are called, and its thread pool.

import asyncio
import json
import threading
from os.path import basename
from types import SimpleNamespace

LIMIT = 3
NAME = "extras"
SETTINGS = {"a": 1}

_lock = threading.Lock()
_barriers = {}


def _private():
    return "never served"


def none():
    return "none"


def one(params):
    return ["one", params]


def two(params, context):
    return ["two", params, context.id, context.method]


def spread(*args):
    return ["spread", len(args)]


# Returns once `n` calls are inside it together: only handlers that run in parallel get there.
def meet(params):
    with _lock:
        barrier = _barriers.setdefault(params["key"], threading.Barrier(params["n"]))
    barrier.wait(timeout=20)
    return "met"


async def _later(value):
    await asyncio.sleep(0.01)
    return value


# Not a coroutine function, but returns an awaitable: it is awaited on the loop.
def deferred(params):
    return _later(params)


def dumped(params):
    return json.dumps(params)


class Greeter:
    prefix = "hello"

    def __init__(self):
        self.helper = SimpleNamespace(shout=lambda p: p.upper())
        self._hidden = SimpleNamespace(secret=lambda: "hidden")

    def hello(self, params):
        return "%s %s" % (self.prefix, params)

    @staticmethod
    def version():
        return 1

    @classmethod
    def kind(cls):
        return cls.__name__

    @property
    def expensive(self):
        raise AssertionError("a property must not be read while methods are collected")

    def _secret(self):
        return "never served"


greeter = Greeter()
tools = SimpleNamespace(double=lambda p: p * 2, inner=SimpleNamespace(triple=lambda p: p * 3))

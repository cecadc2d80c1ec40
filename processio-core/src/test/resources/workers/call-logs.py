# Test fixture served by processio_worker.py: the methods of call-logs.mjs, and chatterSync, which
# runs on the thread pool.

import asyncio
import logging
import os
import sys
import time
import traceback

print("loaded call-logs")


async def chatter(params, context):
    for i in range(params["n"]):
        print("line %d of %s" % (i, context.id))
        await asyncio.sleep(0.001)
    return context.id


def chatterSync(params, context):
    for i in range(params["n"]):
        print("line %d of %s" % (i, context.id))
        time.sleep(0.001)
    return context.id


def stack(params, context):
    try:
        raise ValueError("deep in %s" % context.id)
    except ValueError:
        traceback.print_exc()
    logging.getLogger("call-logs").warning("written through logging")
    sys.stdout.write("written in ")
    sys.stdout.write("two pieces\n")
    return context.id


def trace(params, context):
    return {"traceparent": context.traceparent, "tracestate": context.tracestate}


def printAndExit(params):
    print(params["text"])
    sys.stdout.flush()
    os._exit(1)

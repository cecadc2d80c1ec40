# A Python module served by processio's bundled Python runtime in the starter's tests.
import os


def word_count(params, context):
    return len(str(params.get("text", "")).split())


def pid(params):
    return os.getpid()

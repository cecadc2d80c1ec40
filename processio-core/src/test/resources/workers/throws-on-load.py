# Test fixture: a module that fails while loading.
def never():
    return "unreachable"


raise RuntimeError("boom at load")

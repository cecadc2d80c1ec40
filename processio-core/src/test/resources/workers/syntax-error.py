# Test fixture: a module with a syntax error on line 3 (unclosed parameter list).
def fine(): return 1
def broken(: return 2
def after(): return 3

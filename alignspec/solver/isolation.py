"""One check, one z3 context: answers that do not depend on what ran before.

z3 numbers terms as they are created and orders its search by those numbers, so the same
query can find a different (equally valid) model after other queries ran in the process:
``delivery-time-only`` found speed 9/8 alone and 5/4 after two other checks.  A check run
inside :func:`isolated` starts from a fresh context, so its Finding is the same in a
serial run, on a local worker process or on a cluster's worker, whatever ran there before.

z3's default context is one per process and not thread-safe; the lock makes checks that
share a process (a Dask worker with several threads) take turns instead of corrupting it.

A replaced context is deleted only once no Python object refers to it any more.  Dropping
it at once let the garbage collector delete it while terms of it were still alive (in
reference cycles), and a Dask worker spun for minutes inside ``Z3_del_context``.

The cyclic garbage collector is off inside the block.  Python runs a collection in
whichever thread happens to allocate, and it runs the finalizers of z3 terms caught in
reference cycles (a caught exception's frames hold its locals), which call
``Z3_dec_ref``; ctypes releases the GIL during z3 calls, so a collection started by a Dask
worker's event loop or profiler thread could decrement reference counts inside the very
context a check was using in its own thread.  z3 contexts are not thread-safe: that race
can corrupt the context (a worker was seen spinning for minutes in ``~ast_manager`` when
deleting one).  With the collector off, a check's terms are freed by reference counting
in its own thread, and cycles are collected after the block, when the context is retired.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import z3

_LOCK = threading.RLock()
_DEPTH = threading.local()
#: Contexts replaced by a fresh one, kept until nothing but this list refers to them.
_RETIRED: list[z3.Context] = []


@contextmanager
def isolated() -> Iterator[None]:
    """Run the block on a fresh z3 context of its own (nested blocks share the outer one)."""
    with _LOCK:
        depth = getattr(_DEPTH, "n", 0)
        collecting = False
        if depth == 0:
            _retire()
            collecting = gc.isenabled()
            gc.disable()
        _DEPTH.n = depth + 1
        try:
            yield
        finally:
            _DEPTH.n = depth
            if collecting:
                gc.enable()


def _retire() -> None:
    """Replace the default context (the next term made creates a new one), and delete the
    retired contexts that no term, solver or model refers to any more."""
    old = z3.z3._main_ctx
    z3.z3._main_ctx = None
    if old is not None:
        _RETIRED.append(old)
    del old
    # A retired context is referred to by this list, the loop variable and getrefcount's
    # argument: three references mean nothing else holds it, so deleting it here is safe.
    _RETIRED[:] = [ctx for ctx in _RETIRED if sys.getrefcount(ctx) > 3]

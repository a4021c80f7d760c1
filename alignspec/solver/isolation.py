"""One check, one z3 context: answers that do not depend on what ran before.

z3 numbers terms as they are created and orders its search by those numbers, so the same
query can find a different (equally valid) model after other queries ran in the process:
``delivery-time-only`` found speed 9/8 alone and 5/4 after two other checks.  A check run
inside :func:`isolated` starts from a fresh context, so its Finding is the same in a
serial run, on a local worker process or on a cluster's worker, whatever ran there before.

z3's default context is one per process and not thread-safe; the lock makes checks that
share a process (a Dask worker with several threads) take turns instead of corrupting it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import z3

_LOCK = threading.RLock()
_DEPTH = threading.local()


@contextmanager
def isolated() -> Iterator[None]:
    """Run the block on a fresh z3 context of its own (nested blocks share the outer one)."""
    with _LOCK:
        depth = getattr(_DEPTH, "n", 0)
        if depth == 0:
            z3.z3._main_ctx = None  # the next term made creates a new default context
        _DEPTH.n = depth + 1
        try:
            yield
        finally:
            _DEPTH.n = depth

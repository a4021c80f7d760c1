"""Wall-clock limits for checks that compute on their own, with no solver to interrupt.

A solver query obeys its Budget directly; exact policy iteration, sparse elimination or
value-interval sweeps on a large MDP do not.  A check runs that work inside
``within(budget)``, and the long loops call :func:`tick`, which raises :class:`OutOfTime`
once the budget's deadline has passed; the check turns it into UNKNOWN, "timeout after
N s".  Outside ``within`` (or with no timeout) :func:`tick` costs one context lookup.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from alignspec.solver import Budget

_DEADLINE: ContextVar[tuple[float, float] | None] = ContextVar("alignspec_deadline", default=None)


class OutOfTime(Exception):  # control flow: caught by the check, never shown
    """The running check's wall-clock budget is spent."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"timeout after {timeout} s")
        self.timeout = timeout


@contextmanager
def within(budget: Budget | None) -> Iterator[Budget | None]:
    """Run the block under ``budget``'s wall-clock limit (started here if not yet)."""
    if budget is None or budget.timeout is None:
        yield budget
        return
    started = budget.start()
    assert started.deadline is not None
    token = _DEADLINE.set((started.deadline, budget.timeout))
    try:
        yield started
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left in the enclosing ``within`` block (None: no wall-clock limit), for
    work that cannot be interrupted once started and must decide whether it fits."""
    limit = _DEADLINE.get()
    return None if limit is None else max(0.0, limit[0] - time.monotonic())


def tick() -> None:
    """Raise OutOfTime when the enclosing ``within`` block's deadline has passed."""
    limit = _DEADLINE.get()
    if limit is not None and time.monotonic() > limit[0]:
        raise OutOfTime(limit[1])

"""What every check shares, whatever its family: the clock, option validation, running
with sympy's evaluation off, and the Finding of a check decided by one search."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, ParamSpec, TypeVar

from sympy.core.parameters import evaluate

from alignspec.engine import Search
from alignspec.errors import OptionError
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget, Problem
from alignspec.space import State, Value, to_fraction

P = ParamSpec("P")
R = TypeVar("R")


def unevaluated(check: Callable[P, R]) -> Callable[P, R]:
    """Run a check with sympy's automatic evaluation off: its queries are built from large
    expressions, and sympy would otherwise try to simplify every comparison (slow, and
    pointless: the solver decides them)."""

    @functools.wraps(check)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with evaluate(False):
            return check(*args, **kwargs)

    return run


def nonnegative(value: object, what: str) -> Fraction:
    number = to_fraction(value, what)
    if number < 0:
        raise OptionError(f"{what}={value!r} must be >= 0")
    return number


def budget_or_default(budget: Budget | None) -> Budget:
    """The check's budget with its wall clock started (the default budget if none)."""
    if budget is not None and not isinstance(budget, Budget):
        raise OptionError(f"budget={budget!r} must be an alignspec.Budget(rlimit=..., timeout=...)")
    return (budget if budget is not None else Budget()).start()


def show(state: Mapping[str, Value]) -> str:
    return ", ".join(f"{k}={v}" for k, v in state.items())


class Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def decided(
    check: str,
    subject: str | None,
    result: Search,
    query: Problem | None,
    clock: Clock,
    options: Mapping[str, Any],
    *,
    violated: str,
    proved: str,
    values: Callable[[Mapping[str, State]], Mapping[str, Mapping[str, Any]]],
    figures: Mapping[str, Any] | None = None,
    extra_witness: Mapping[str, State] | None = None,
) -> Finding:
    """The Finding for any check decided by one search: PROVED when none exists (UNSAT),
    VIOLATED with the replayed witness (plus ``extra_witness`` states for reference),
    otherwise UNKNOWN with the search's reason."""
    common: dict[str, Any] = dict(
        subject=subject,
        elapsed=clock.elapsed,
        stats=result.stats,
        options=dict(options),
        figures=dict(figures or {}),
        query=query,
    )
    if result.status == "none":
        return Finding(check, Verdict.PROVED, proved, method="smt", **common)
    if result.status == "unknown" or result.states is None:
        reason = result.reason or "unknown"
        return Finding(
            check,
            Verdict.UNKNOWN,
            f"{check} could not be decided: {reason}",
            reason=reason,
            method=result.method,
            **common,
        )
    witness = {**result.states, **(extra_witness or {})}
    vals = values(witness)
    if result.method == "extraction":
        violated += " (found on the extracted tree, confirmed on the original policy)"
    lines = [violated] + [
        f"  {role}: {show(s)}" + (f"  [{show(vals[role])}]" if vals.get(role) else "")
        for role, s in witness.items()
    ]
    return Finding(
        check,
        Verdict.VIOLATED,
        "\n".join(lines),
        witness=witness,
        values=vals,
        method=result.method,
        **common,
    )

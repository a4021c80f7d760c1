"""What the MDP checks share: both rewards as exact tables, a policy described by its
choices, exact rational solutions of linear systems."""

from __future__ import annotations

import functools
from collections.abc import Callable
from fractions import Fraction
from typing import Any, TypeVar

from alignspec.checking.deadline import OutOfTime, within
from alignspec.checking.run import Clock
from alignspec.mdp.linalg import rational_solution
from alignspec.mdp.model import MDP, RewardLike, expected_rewards
from alignspec.mdp.returns import Strategy
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget

F = TypeVar("F", bound=Callable[..., Finding])


def _rewards(
    mdp: MDP, specified: RewardLike, intended: RewardLike
) -> tuple[list[list[Fraction]], list[list[Fraction]]]:
    """Both rewards as exact expected-reward tables r[s][a]."""
    return (
        expected_rewards(mdp, specified, "specified reward"),
        expected_rewards(mdp, intended, "intended reward"),
    )


def _describe(mdp: MDP, strategy: Strategy) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s, row in enumerate(strategy):
        if s in mdp.terminal:
            continue
        if len(row) == 1:
            out[str(mdp.states[s])] = str(mdp.actions[row[0][0]])
        else:
            out[str(mdp.states[s])] = ", ".join(f"{mdp.actions[a]}: {p}" for a, p in row)
    return out


def exact_solution(
    rows: list[tuple[dict[int, Fraction], str, Fraction]], n: int, *, sign: int | None, strict: bool
) -> list[Fraction] | str | None:
    """A solution of equality rows (exactly verified), None if none exists, or the reason
    it could not be decided (see alignspec.mdp.linalg.rational_solution)."""
    coefficients = [r for r, _, _ in rows]
    rhs = [v for _, _, v in rows]

    def holds(x: list[Fraction]) -> bool:
        if sign is not None and (x[0] < 0 or (strict and x[0] == 0)):
            return False
        return all(
            sum((c * x[j] for j, c in row.items()), Fraction(0)) == v
            for row, v in zip(coefficients, rhs, strict=True)
        )

    return rational_solution(coefficients, rhs, n, sign=sign, strict=strict, check=holds)


def unknown(
    check: str,
    reason: str | None,
    clock: Clock,
    options: dict[str, Any],
    *,
    method: str | None = None,
    stats: dict[str, float] | None = None,
) -> Finding:
    """The UNKNOWN finding of an MDP check, with its reason."""
    return Finding(
        check,
        Verdict.UNKNOWN,
        f"{check} could not be decided: {reason}",
        reason=reason,
        method=method,
        options=options,
        stats=stats or {},
        elapsed=clock.elapsed,
    )


def timed(check: str) -> Callable[[F], F]:
    """Hold the check to its ``budget=``'s wall-clock limit: exact computation that runs
    past the deadline (policy iteration, elimination, interval sweeps; they call
    :func:`alignspec.checking.deadline.tick`) ends as UNKNOWN, "timeout after N s"."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, budget: Budget | None = None, **kwargs: Any) -> Finding:
            clock = Clock()
            try:
                with within(budget) as started:
                    return fn(*args, budget=started, **kwargs)
            except OutOfTime as late:
                return unknown(check, str(late), clock, {}, method="exact")

        return wrapper  # type: ignore[return-value]

    return decorate

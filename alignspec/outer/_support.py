"""What every outer check shares: preconditions, feasible regions, values at witnesses."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, ParamSpec, TypeVar

import sympy
from sympy.core.parameters import evaluate

from alignspec.engine import Search
from alignspec.errors import OptionError, SpecError
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget, Problem
from alignspec.space import State, Value, to_fraction
from alignspec.spec import Labelled, Spec
from alignspec.symbolic.evaluate import holds, value_of

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


def needs(
    spec: Spec,
    check: str,
    *,
    reward: bool = False,
    utility: bool = False,
    require: bool = False,
    utility_or_require: bool = False,
) -> None:
    """Raise a SpecError naming what ``check`` needs that ``spec`` lacks."""
    if not isinstance(spec, Spec):
        raise SpecError(f"{check} takes an alignspec.Spec, got {type(spec).__name__}")
    missing = []
    if reward and spec.objective is None:
        missing.append("a reward (Spec(reward=...))")
    if utility and spec.utility is None:
        missing.append("an intended utility (Intent(utility, ...))")
    if require and not spec.requirements:
        missing.append("requirements (Intent(require=[...]))")
    if utility_or_require and spec.utility is None and not spec.requirements:
        missing.append("an intended utility or requirements")
    if missing:
        raise SpecError(f"{check} needs {' and '.join(missing)}; spec {spec.label!r} has none")


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


def feasible(spec: Spec, role: str) -> Labelled:
    return spec.at_all(spec.assumptions, role)


def compliant(spec: Spec, role: str) -> Labelled:
    return spec.at_all(spec.assumptions + spec.requirements, role)


def all_required(spec: Spec) -> sympy.Basic:
    return sympy.And(*[e for _, e in spec.requirements])


def values_at(spec: Spec, state: State) -> dict[str, Value]:
    """Reward, utility and requirement status at a state, by exact evaluation."""
    scope = spec.domain.variables
    out: dict[str, Value] = {}
    if spec.objective is not None:
        out["reward"] = value_of(spec.objective, scope, state)
    if spec.utility is not None:
        out["utility"] = value_of(spec.utility, scope, state)
    if spec.requirements:
        broken = [label for label, e in spec.requirements if not holds(e, scope, state)]
        out["requirements"] = "met" if not broken else "broken: " + "; ".join(broken)
    return out


def show(state: Mapping[str, Value]) -> str:
    return ", ".join(f"{k}={v}" for k, v in state.items())


class Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def unknown(
    spec: Spec, check: str, reason: str, clock: Clock, options: dict[str, Any], **extra: Any
) -> Finding:
    return Finding(
        check,
        Verdict.UNKNOWN,
        f"{check} could not be decided: {reason}",
        spec=spec.name,
        reason=reason,
        elapsed=clock.elapsed,
        options=options,
        **extra,
    )


def from_search(
    spec: Spec,
    check: str,
    result: Search,
    problem: Problem,
    clock: Clock,
    options: dict[str, Any],
    *,
    violated: str,
    proved: str,
    figures: Mapping[str, Fraction | None] | None = None,
    extra_witness: Mapping[str, State] | None = None,
) -> Finding:
    """The Finding for an outer check decided by one search (values from the spec)."""
    return decided(
        check,
        spec.name,
        result,
        problem,
        clock,
        options,
        violated=violated,
        proved=proved,
        values=lambda witness: {role: values_at(spec, s) for role, s in witness.items()},
        figures=figures,
        extra_witness=extra_witness,
    )


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
        spec=subject,
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

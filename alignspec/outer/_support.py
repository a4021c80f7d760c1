"""What the outer checks share: preconditions, feasible regions, values at witnesses (the
infrastructure every family shares is in :mod:`alignspec.checking`)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy

from alignspec.checking.run import Clock, decided
from alignspec.engine import Search
from alignspec.errors import SpecError
from alignspec.results import Finding, Verdict
from alignspec.solver import Problem
from alignspec.space import State, Value
from alignspec.spec import Labelled, Spec
from alignspec.symbolic.evaluate import holds, value_of


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


def unknown(
    spec: Spec, check: str, reason: str, clock: Clock, options: dict[str, Any], **extra: Any
) -> Finding:
    return Finding(
        check,
        Verdict.UNKNOWN,
        f"{check} could not be decided: {reason}",
        subject=spec.label,
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
        spec.label,
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

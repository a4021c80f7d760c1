"""What the inner checks share: regions, policy constraints, replay on the original policy,
and the sampling search that is all a black-box policy allows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sympy
from sympy.core.parameters import evaluate

from alignspec.checking.links import policy_name
from alignspec.errors import SpecError
from alignspec.policy.base import Policy
from alignspec.space import Bool, State
from alignspec.spec import Intent, Labelled, Reward, Spec
from alignspec.symbolic.evaluate import holds, value_of
from alignspec.symbolic.rename import at
from alignspec.symbolic.shape import checked

Candidates = Callable[[State], Iterable[dict[str, State]]]


def region(policy: Policy, cond: object, what: str = "region") -> sympy.Basic | None:
    """A region of states: a condition over the policy's state variables (None: everywhere)."""
    if cond is None:
        return None
    return checked(cond, policy.space, what, condition=True)


def objective(policy: Policy, obj: object, what: str = "objective") -> sympy.Basic:
    """An objective over states and actions: an expression, a Reward, or an Intent's utility."""
    if isinstance(obj, Reward):
        obj = obj.expr
    elif isinstance(obj, Intent):
        if obj.utility is None:
            raise SpecError(f"{what}: the Intent has no utility to optimise")
        obj = obj.utility
    return checked(obj, policy.domain, what, condition=False)


def conditions(policy: Policy, conds: Iterable[object], what: str) -> tuple[sympy.Basic, ...]:
    return tuple(
        checked(c, policy.domain, f"{what}[{i}]", condition=True) for i, c in enumerate(conds)
    )


def compatible(policy: Policy, spec: Spec) -> None:
    """The spec must speak about the policy's states and actions."""
    if not isinstance(policy, Policy):
        raise SpecError(f"expected an alignspec policy, got {type(policy).__name__}")
    if dict(spec.space.variables) != dict(policy.space.variables):
        raise SpecError(
            f"spec {spec.label!r} and policy {policy_name(policy)} have different "
            f"state spaces: {dict(spec.space.variables)} vs "
            f"{dict(policy.space.variables)}"
        )
    if spec.actions is not None and spec.domain.variables != policy.domain.variables:
        raise SpecError(
            f"spec {spec.label!r} and policy {policy_name(policy)} have different "
            f"actions: {spec.actions!r} vs {policy.actions!r}"
        )


def with_requirements(policy: Policy, spec: Spec, check: str) -> None:
    """The spec fits the policy and has requirements to check, or a SpecError says why."""
    compatible(policy, spec)
    if not spec.requirements:
        raise SpecError(
            f"{check} needs requirements (Intent(require=[...])); spec {spec.label!r} has none"
        )


def spec_at(policy: Policy, labelled: Labelled, role: str) -> Labelled:
    return tuple((f"{role}: {label}", at(e, policy.domain, role)) for label, e in labelled)


def where(policy: Policy, cond: sympy.Basic | None, role: str, label: str) -> Labelled:
    return () if cond is None else ((f"{role}: {label}", at(cond, policy.domain, role)),)


def same_state(policy: Policy, a: str, b: str, *, but: Sequence[str] = ()) -> Labelled:
    symbols = policy.domain.symbols
    out = []
    with evaluate(False):
        for name, var in policy.space.variables.items():
            if name in but:
                continue
            x, y = at(symbols[name], policy.domain, a), at(symbols[name], policy.domain, b)
            same = sympy.Equivalent(x, y) if isinstance(var, Bool) else sympy.Eq(x, y)
            out.append((f"same {name} in {a} and {b}", same))
    return tuple(out)


def describe(
    policy: Policy,
    witness: Mapping[str, State],
    objective_expr: sympy.Basic | None,
    spec: Spec | None = None,
) -> dict[str, dict[str, Any]]:
    """Exact values at each witness state: the objective and the requirement status."""
    out: dict[str, dict[str, Any]] = {}
    scope = policy.domain.variables
    for role, state in witness.items():
        values: dict[str, Any] = {}
        if objective_expr is not None:
            values["objective"] = value_of(objective_expr, scope, state)
        if spec is not None and spec.requirements:
            broken = [lbl for lbl, e in spec.requirements if not holds(e, scope, state)]
            values["requirements"] = "met" if not broken else "broken: " + "; ".join(broken)
        out[role] = values
    return out

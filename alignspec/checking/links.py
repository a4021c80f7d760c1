"""A policy's choices as solver constraints: its rule, or links to a ReLU network with
exact input bounds over the region (used by the inner checks and by bmc's closed loops)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import attrs
import sympy
from sympy.core.parameters import evaluate

from alignspec.engine import extremum
from alignspec.errors import SpecError
from alignspec.policy.base import Policy
from alignspec.policy.mlp import MLPPolicy
from alignspec.solver import Budget, Problem
from alignspec.space import Bool, Int, Real
from alignspec.symbolic.network import Interval, NetworkLink
from alignspec.symbolic.rename import at


def policy_name(policy: Policy) -> str:
    return getattr(policy, "name", None) or type(policy).__name__


def link(
    policy: Policy,
    problem: Problem,
    roles: Sequence[str],
    budget: Budget,
    region_cond: sympy.Basic | None = None,
    boxes: Mapping[str, Sequence[Interval]] | None = None,
) -> Problem | None:
    """``problem`` with the policy choosing the action in ``roles``: its rule as constraints,
    or network links with bounds over the region's box (None: the region is empty).
    Black boxes have no encoding: callers sample them instead."""
    rule = policy.rule()
    links: tuple[NetworkLink, ...] = ()
    if isinstance(policy, MLPPolicy):
        box = input_box(policy, region_cond, budget)
        if box is None:
            return None
        # explicit per-role boxes (e.g. reachable sets beyond the declared bounds) win
        links = tuple(policy.link(role, list((boxes or {}).get(role, box))) for role in roles)
    elif rule is None:
        raise SpecError(f"{policy_name(policy)} is a black box: it has no solver encoding")
    with evaluate(False):
        linked = problem.with_(
            *[
                (f"{role}: policy", at(rule, policy.domain, role))
                for role in roles
                if rule is not None
            ]
        )
    return attrs.evolve(linked, networks=links)


def input_box(policy: MLPPolicy, cond: sympy.Basic | None, budget: Budget) -> list[Interval] | None:
    """Exact bounds of each network input over the region (the variable bounds if none);
    None when the region is empty."""
    box: list[Interval] = []
    problem = Problem(
        {"s": policy.space}, () if cond is None else (("region", at(cond, policy.space, "s")),)
    )
    for name, var in policy.space.variables.items():
        if isinstance(var, Bool):
            lo, hi = Fraction(0), Fraction(1)
        else:
            assert isinstance(var, (Real, Int))  # networks take no Choice input
            lo, hi = Fraction(var.lo), Fraction(var.hi)
        if cond is not None:
            x = at(policy.space.symbols[name], policy.space, "s")
            low = extremum(problem, x, budget, sense="min")
            if low.status == "infeasible":
                return None
            high = extremum(problem, x, budget, sense="max")
            lo = low.value if low.value is not None else lo  # unknown: keep the sound bound
            hi = high.value if high.value is not None else hi
        box.append((lo, hi))
    return box

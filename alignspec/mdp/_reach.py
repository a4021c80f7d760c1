"""Boxes containing every state a deterministic system reaches in each step: exact optima
of each update over the previous box (with the policy acting, if any), rounded outward."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import sympy

from alignspec.actions import merge
from alignspec.mdp.system import TransitionSystem
from alignspec.policy.base import Policy
from alignspec.solver import Budget, Problem
from alignspec.space import Int, Real, Space, Variable
from alignspec.symbolic.rename import at


def _interval(var: Variable) -> tuple[Fraction, Fraction]:
    if isinstance(var, (Real, Int)):
        return Fraction(var.lo), Fraction(var.hi)
    return Fraction(0), Fraction(1)


#: Reachable boxes are rounded outward to multiples of 2**-ROUND (sound, and small numbers).
ROUND = 20


def reachable_boxes(
    system: TransitionSystem, horizon: int, budget: Budget, policy: Policy | None = None
) -> list[Space] | None:
    """Per step, a box containing every state reachable from ``init`` in that many steps:
    exact optima of each update over the previous box (with ``policy`` choosing the action
    there, else any action), rounded outward.  None when an optimum cannot be computed."""
    assert system.update is not None
    numeric = [n for n, v in system.space.variables.items() if isinstance(v, (Real, Int))]
    start = Problem({"s": system.space}, (("init", at(system.init, system.space, "s")),))
    box = _box(
        system.space,
        {n: _range(start, at(system.space.symbols[n], system.space, "s"), budget) for n in numeric},
    )
    if box is None:
        return None
    out = [box]
    for _ in range(horizon):
        dom = merge(out[-1], system.actions)
        here: Problem | None = Problem({"s": dom})
        if policy is not None:
            from alignspec.checking.links import link

            here = link(
                policy,
                Problem({"s": dom}),
                ["s"],
                budget,
                boxes={"s": [_interval(out[-1].variables[n]) for n in system.space.names]},
            )
            if here is None:
                return None
        assert here is not None
        linked: Problem = here
        nxt = _box(
            system.space,
            {n: _range(linked, at(system.update[n], dom, "s"), budget) for n in numeric},
        )
        if nxt is None:
            return None
        out.append(nxt)
    return out


class _OutOfTime(Exception):
    """The check's deadline passed while bounding a step."""


def _range(problem: Problem, expr: sympy.Basic, budget: Budget) -> tuple[Fraction, Fraction] | None:
    from alignspec.engine import extremum

    low = extremum(problem, expr, budget, sense="min")
    high = extremum(problem, expr, budget, sense="max")
    lo, hi = low.value, high.value
    if lo is None or hi is None:
        if budget.expired or any((e.reason or "").startswith("timeout") for e in (low, high)):
            raise _OutOfTime
        return None
    scale = 2**ROUND
    return Fraction(math.floor(lo * scale), scale), Fraction(math.ceil(hi * scale), scale)


def _box(space: Space, ranges: Mapping[str, tuple[Fraction, Fraction] | None]) -> Space | None:
    variables: dict[str, Variable] = {}
    for name, var in space.variables.items():
        r = ranges.get(name)
        if r is None and isinstance(var, (Real, Int)):
            return None
        if isinstance(var, Real):
            assert r is not None
            variables[name] = Real(r[0], r[1])
        elif isinstance(var, Int):
            assert r is not None
            variables[name] = Int(math.floor(r[0]), math.ceil(r[1]))
        else:
            variables[name] = var
    return Space(**variables)

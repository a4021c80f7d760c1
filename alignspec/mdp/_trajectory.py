"""Trajectories of a transition system as solver constraints, and exact traces of them: the
unrolled steps, the declared bounds, discounted returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy

from alignspec.errors import SpecError
from alignspec.mdp.system import TransitionSystem
from alignspec.space import Int, Real, Space, State
from alignspec.symbolic.evaluate import holds, value_of
from alignspec.symbolic.rename import at
from alignspec.symbolic.shape import checked


def _uses_action(cond: sympy.Basic, system: TransitionSystem) -> bool:
    return any(s.name not in system.space.variables for s in cond.free_symbols)


def _within(declared: Space, box: Space) -> bool:
    for name, var in declared.variables.items():
        inner = box.variables[name]
        if (
            isinstance(var, (Real, Int))
            and isinstance(inner, (Real, Int))
            and not (var.lo <= inner.lo and inner.hi <= var.hi)
        ):
            return False
    return True


def _outside(system: TransitionSystem, role: str) -> sympy.Basic:
    parts = []
    for name, var in system.space.variables.items():
        if isinstance(var, (Real, Int)):
            x = at(system.space.symbols[name], system.domain, role)
            parts += [x < sympy.Rational(str(var.lo)), x > sympy.Rational(str(var.hi))]
    return sympy.Or(*parts)


def _inside(system: TransitionSystem, state: State) -> bool:
    try:
        system.space.check_state({n: state[n] for n in system.space.names})
    except SpecError:
        return False
    return True


def _unroll(system: TransitionSystem, roles: Sequence[str]) -> list[tuple[str, sympy.Basic]]:
    out = [("init", at(system.init, system.domain, roles[0]))]
    out += [
        (f"step {i}", system.step_condition(roles[i], roles[i + 1])) for i in range(len(roles) - 1)
    ]
    return out


def _number(system: TransitionSystem, expr: object, what: str) -> sympy.Basic | None:
    return None if expr is None else checked(expr, system.domain, what, condition=False)


def _return(
    expr: sympy.Basic | None, dom: Space, roles: Sequence[str], gamma: Fraction
) -> sympy.Basic:
    if expr is None:
        return sympy.Integer(0)
    return sympy.Add(
        *[
            sympy.Rational(gamma.numerator**i, gamma.denominator**i) * at(expr, dom, r)
            for i, r in enumerate(roles)
        ]
    )


def _trace(
    states: Mapping[str, State],
    roles: Sequence[str],
    spec_r: sympy.Basic | None,
    int_r: sympy.Basic | None,
    reqs: Sequence[sympy.Basic],
    dom: Space,
    gamma: Fraction,
) -> tuple[dict[str, Any], ...]:
    out = []
    spec_ret = int_ret = Fraction(0)
    weight = Fraction(1)
    for i, role in enumerate(roles):
        state = states[role]
        step: dict[str, Any] = {"t": i}
        if i < len(roles) - 1:
            if spec_r is not None:
                spec_ret += weight * value_of(spec_r, dom.variables, state)
            if int_r is not None:
                int_ret += weight * value_of(int_r, dom.variables, state)
            weight *= gamma
        broken = [str(r) for r in reqs if not holds(r, dom.variables, state)]
        if broken:
            step["broken"] = "; ".join(broken)
        step["specified_return"] = spec_ret
        step["intended_return"] = int_ret
        out.append(step)
    return tuple(out)

"""Hypothesis strategies over spaces: random states for property tests and sampling search."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import strategies as st

from alignspec.space import Bool, Choice, Int, Space, State, Variable
from alignspec.symbolic.evaluate import holds
from alignspec.symbolic.rename import canonical

#: Evenly spaced points per Real variable (besides its bounds and short fractions).
GRID = 1024


def values(var: Variable, max_denominator: int = 64) -> st.SearchStrategy[object]:
    """Values of one variable: bounds and whole numbers are favoured for Reals."""
    if isinstance(var, Bool):
        return st.booleans()
    if isinstance(var, Choice):
        return st.sampled_from(var.labels)
    if isinstance(var, Int):
        return st.integers(var.lo, var.hi)
    lo, hi = var.lo, var.hi
    parts: list[st.SearchStrategy[Fraction]] = [
        st.sampled_from([lo, hi]),
        # evenly spaced points: exact for bounds of any precision (0.679857769 included)
        st.integers(0, GRID).map(lambda k: lo + (hi - lo) * Fraction(k, GRID)),
    ]
    # short fractions need bounds hypothesis accepts: the widest interval of multiples of
    # 1/max_denominator inside [lo, hi]
    d = max_denominator
    inner_lo, inner_hi = Fraction(math.ceil(lo * d), d), Fraction(math.floor(hi * d), d)
    if inner_lo < inner_hi:
        parts.append(st.fractions(inner_lo, inner_hi, max_denominator=d))
    if math.ceil(lo) <= math.floor(hi):
        parts.append(st.integers(math.ceil(lo), math.floor(hi)).map(Fraction))
    return st.one_of(parts)


def states(space: Space, where: object = None) -> st.SearchStrategy[State]:
    """States of ``space`` (dicts name -> value), optionally filtered by a condition."""
    parts: dict[str, st.SearchStrategy[object]] = {n: values(v) for n, v in space.variables.items()}
    strategy: st.SearchStrategy[State] = st.fixed_dictionaries(parts)  # type: ignore[arg-type]
    if where is None:
        return strategy
    cond = canonical(where, space, "condition")

    def admitted(state: State) -> bool:
        return holds(cond, space.variables, state)

    return strategy.filter(admitted)

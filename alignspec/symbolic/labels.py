"""Comparisons of Choice variables with labels (sympy cannot take a string in Eq)."""

from __future__ import annotations

import sympy


def eq(var: sympy.Symbol, label: str) -> sympy.Eq:
    """The condition "Choice variable ``var`` has label ``label``": ``eq(v.mode, "feed")``."""
    if not isinstance(label, str):
        raise TypeError(f"eq() compares a Choice variable with a label string, got {label!r}")
    return sympy.Eq(var, sympy.Symbol(label), evaluate=False)


def ne(var: sympy.Symbol, label: str) -> sympy.Ne:
    """The condition "Choice variable ``var`` does not have label ``label``"."""
    if not isinstance(label, str):
        raise TypeError(f"ne() compares a Choice variable with a label string, got {label!r}")
    return sympy.Ne(var, sympy.Symbol(label), evaluate=False)


def indicator(cond: sympy.Basic) -> sympy.Piecewise:
    """1 where ``cond`` holds, else 0: conditions in arithmetic, e.g. ``10 * indicator(x > 3)``."""
    return sympy.Piecewise((1, cond), (0, True))

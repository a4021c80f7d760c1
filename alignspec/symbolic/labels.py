"""Comparisons of Choice variables with labels (sympy cannot take a string in Eq)."""

from __future__ import annotations

import sympy

from alignspec.errors import UnknownLabelError


def _operands(fn: str, var: object, label: object) -> tuple[sympy.Symbol, sympy.Symbol]:
    if not isinstance(var, sympy.Symbol):
        raise UnknownLabelError(
            f"{fn}({var!r}, {label!r}): the first argument must be a Choice variable's symbol "
            f"(space.vars.<name> or actions.symbol), got {type(var).__name__}"
        )
    if not isinstance(label, str) or not label:
        raise UnknownLabelError(
            f"{fn}({var}, {label!r}) compares a Choice variable with a label string; "
            f"got {type(label).__name__} {label!r}. Write e.g. {fn}({var}, 'left'); for "
            "numbers use sympy comparisons (==, sympy.Eq) on Int or Real variables"
        )
    return var, sympy.Symbol(label)


def eq(var: sympy.Symbol, label: str) -> sympy.Eq:
    """The condition "Choice variable ``var`` has label ``label``": ``eq(v.mode, "feed")``."""
    return sympy.Eq(*_operands("eq", var, label), evaluate=False)


def ne(var: sympy.Symbol, label: str) -> sympy.Ne:
    """The condition "Choice variable ``var`` does not have label ``label``"."""
    return sympy.Ne(*_operands("ne", var, label), evaluate=False)


def indicator(cond: sympy.Basic) -> sympy.Piecewise:
    """1 where ``cond`` holds, else 0: conditions in arithmetic, e.g. ``10 * indicator(x > 3)``."""
    from alignspec.symbolic.normal import as_condition

    # unevaluated: sympy would run set theory on the condition (and fail on Implies)
    return sympy.Piecewise((1, as_condition(sympy.sympify(cond))), (0, True), evaluate=False)

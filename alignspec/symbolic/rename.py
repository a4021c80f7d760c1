"""Canonical symbols and role-qualified copies of expressions (for pairs of states)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import sympy
from sympy.core.parameters import evaluate

from alignspec.space import Space, State, Value, Variable, make_symbol
from alignspec.symbolic.normal import as_condition, as_number

SEPARATOR = "."


def canonical(
    expr: object, space: Space, kind: Literal["number", "condition"] | None = None
) -> sympy.Basic:
    """Sympify, and replace every symbol named like a variable by the space's own symbol;
    with ``kind``, also bring the expression into that normal form
    (:mod:`alignspec.symbolic.normal`).

    Users may build symbols themselves (``sympy.Symbol("x")``); matching by name makes them
    the same variable.  Symbols with other names are left for validation to report.
    """
    e = sympy.sympify(expr, strict=False) if not isinstance(expr, sympy.Basic) else expr
    symbols = space.symbols
    mapping = {
        s: symbols[s.name]
        for s in e.free_symbols
        if isinstance(s, sympy.Symbol) and s.name in symbols and s != symbols[s.name]
    }
    with evaluate(False):  # sympy's rewriting of the rebuilt nodes may not match ours
        if mapping:
            e = e.xreplace(mapping)
    if kind is not None:
        from alignspec.symbolic.complete import complete

        e = complete(e, space)
    if kind == "condition":
        return as_condition(e)
    if kind == "number":
        return as_number(e)
    return e


def qualified(role: str, name: str) -> str:
    return f"{role}{SEPARATOR}{name}"


def at(expr: sympy.Basic, space: Space, role: str) -> sympy.Basic:
    """The expression about the state called ``role`` (each variable x becomes ``role.x``)."""
    mapping = {
        sym: make_symbol(qualified(role, name), space.variables[name])
        for name, sym in space.symbols.items()
    }
    with evaluate(False):  # renaming must not trigger sympy's (slow) simplification
        return expr.xreplace(mapping)


def scope_of(roles: Mapping[str, Space]) -> dict[str, Variable]:
    """Qualified name -> variable, for every role's copy of its space."""
    return {
        qualified(role, name): var
        for role, space in roles.items()
        for name, var in space.variables.items()
    }


def flatten(states: Mapping[str, State]) -> dict[str, Value]:
    """Role -> state becomes one environment of qualified names."""
    return {
        qualified(role, name): value
        for role, state in states.items()
        for name, value in state.items()
    }

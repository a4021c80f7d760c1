"""Canonical symbols and role-qualified copies of expressions (for pairs of states)."""

from __future__ import annotations

from collections.abc import Mapping

import sympy
from sympy.core.parameters import evaluate

from alignspec.space import Space, State, Value, Variable, make_symbol

SEPARATOR = "."


def canonical(expr: object, space: Space) -> sympy.Basic:
    """Sympify, and replace every symbol named like a variable by the space's own symbol.

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
    return e.xreplace(mapping) if mapping else e


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

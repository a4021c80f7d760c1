"""Canonical symbols and role-qualified copies of expressions (for pairs of states)."""

from __future__ import annotations

from collections.abc import Mapping

import sympy
from sympy.core.parameters import evaluate
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from alignspec.space import BoolSymbol, Space, State, Value, Variable, make_symbol

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
    with evaluate(False):  # sympy's rewriting of the rebuilt nodes may not match ours
        if mapping:
            e = e.xreplace(mapping)
        return logical(e)


def _boolean(e: sympy.Basic) -> bool:
    return isinstance(e, (sympy.Rel, BooleanFunction, BooleanAtom, BoolSymbol))


def logical(e: sympy.Basic) -> sympy.Basic:
    """``e`` with every Piecewise whose values are conditions written as And/Or/Not
    (sympy's own logic cannot take a Piecewise: ``And(Piecewise(...), c)`` fails)."""
    if not e.args or not e.has(sympy.Piecewise):
        return e
    args = [logical(a) for a in e.args]
    if isinstance(e, sympy.Piecewise):
        pairs = [(pair.args[0], pair.args[1]) for pair in args]
        if all(_boolean(value) for value, _ in pairs):
            with evaluate(False):
                cases: list[sympy.Basic] = []
                earlier: list[sympy.Basic] = []
                for value, cond in pairs:
                    cases.append(sympy.And(*earlier, cond, value))
                    earlier.append(sympy.Not(cond))
                return sympy.Or(*cases)
    if all(a is b for a, b in zip(args, e.args, strict=True)):
        return e
    with evaluate(False):
        return e.func(*args)


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

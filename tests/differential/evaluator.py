"""An exact evaluator of the spec language, written independently of alignspec.

It walks the sympy tree itself (no ``alignspec.symbolic``, no ``subs``) with Python
``Fraction``s, following the documented semantics (docs/spec-language.md):

- numbers are exact rationals (a float is the binary rational it holds);
- a Bool variable is True/False as a condition and 0/1 in arithmetic;
- a Choice variable is its label; ``Eq``/``Ne`` with a label symbol compare labels;
- ``Piecewise`` takes the first branch whose condition holds;
- ``Min``/``Max``/``Abs``/integer powers as usual.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import sympy as sp
from sympy.logic.boolalg import BooleanFalse, BooleanTrue


class EvalError(Exception):
    """The expression leaves the grammar this evaluator knows (a harness bug, not a finding)."""


Env = Mapping[str, object]


def _num(x: object) -> Fraction:
    if isinstance(x, bool):
        return Fraction(int(x))
    if isinstance(x, (int, Fraction)):
        return Fraction(x)
    if isinstance(x, float):
        return Fraction(x)
    raise EvalError(f"not a number: {x!r}")


def value(expr: object, env: Env) -> object:
    """The value of ``expr``: a Fraction, a bool, or a label string."""
    if isinstance(expr, bool):
        return expr
    if isinstance(expr, (int, Fraction)):
        return Fraction(expr)
    if isinstance(expr, float):
        return Fraction(expr)
    if not isinstance(expr, sp.Basic):
        raise EvalError(f"not an expression: {expr!r}")
    if isinstance(expr, BooleanTrue):
        return True
    if isinstance(expr, BooleanFalse):
        return False
    if isinstance(expr, sp.Integer):
        return Fraction(int(expr))
    if isinstance(expr, sp.Rational):
        return Fraction(int(expr.p), int(expr.q))
    if isinstance(expr, sp.Float):
        return Fraction(float(expr))
    if isinstance(expr, sp.Symbol):
        if expr.name in env:
            v = env[expr.name]
            if isinstance(v, (bool, str)):
                return v
            return _num(v)
        return ("label", expr.name)  # a Choice label constant (only inside Eq/Ne)
    args = expr.args
    if isinstance(expr, sp.Add):
        return sum((num(a, env) for a in args), Fraction(0))
    if isinstance(expr, sp.Mul):
        out = Fraction(1)
        for a in args:
            out *= num(a, env)
        return out
    if isinstance(expr, sp.Pow):
        base, exp = args
        if not (isinstance(exp, sp.Integer) and int(exp) >= 0):
            raise EvalError(f"unsupported power {expr}")
        return num(base, env) ** int(exp)
    if isinstance(expr, sp.Abs):
        return abs(num(args[0], env))
    if isinstance(expr, sp.Min):
        return min(num(a, env) for a in args)
    if isinstance(expr, sp.Max):
        return max(num(a, env) for a in args)
    if isinstance(expr, sp.Piecewise):
        for branch_value, cond in args:
            if truth(cond, env):
                return value(branch_value, env)
        raise EvalError(f"Piecewise without a matching branch: {expr}")
    if isinstance(expr, (sp.Eq, sp.Ne)):
        a, b = (value(x, env) for x in args)
        if isinstance(a, tuple):
            a = a[1]
        if isinstance(b, tuple):
            b = b[1]
        if isinstance(a, str) or isinstance(b, str):
            same = a == b
        else:
            same = _num(a) == _num(b)
        return same if isinstance(expr, sp.Eq) else not same
    if isinstance(expr, sp.StrictLessThan):
        return num(args[0], env) < num(args[1], env)
    if isinstance(expr, sp.LessThan):
        return num(args[0], env) <= num(args[1], env)
    if isinstance(expr, sp.StrictGreaterThan):
        return num(args[0], env) > num(args[1], env)
    if isinstance(expr, sp.GreaterThan):
        return num(args[0], env) >= num(args[1], env)
    if isinstance(expr, sp.And):
        return all(truth(a, env) for a in args)
    if isinstance(expr, sp.Or):
        return any(truth(a, env) for a in args)
    if isinstance(expr, sp.Not):
        return not truth(args[0], env)
    if isinstance(expr, sp.Implies):
        return (not truth(args[0], env)) or truth(args[1], env)
    if isinstance(expr, sp.Xor):
        return sum(1 for a in args if truth(a, env)) % 2 == 1
    if isinstance(expr, sp.Equivalent):
        vals = [truth(a, env) for a in args]
        return all(vals) or not any(vals)
    if isinstance(expr, sp.ITE):
        c, t, e = args
        return value(t, env) if truth(c, env) else value(e, env)
    raise EvalError(f"unsupported construct {type(expr).__name__}: {expr}")


def num(expr: object, env: Env) -> Fraction:
    v = value(expr, env)
    if isinstance(v, (str, tuple)):
        raise EvalError(f"{expr} is a label, not a number")
    return _num(v)


def truth(expr: object, env: Env) -> bool:
    v = value(expr, env)
    if not isinstance(v, bool):
        raise EvalError(f"{expr} is not a condition (value {v!r})")
    return v

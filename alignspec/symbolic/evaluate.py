"""Exact evaluation of supported expressions on concrete states (Fractions, no floats)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from math import gcd

import sympy

from alignspec.space import Choice, Int, Real, Value, Variable
from alignspec.symbolic.fold import Algebra, LinearTerm, fold_cond, fold_num


class ExactAlgebra(Algebra[Fraction, bool]):
    """Evaluates on one assignment ``env``: symbol name -> value (Choice values are labels)."""

    def __init__(self, env: Mapping[str, Value]) -> None:
        self.env = env

    def const(self, value: Fraction) -> Fraction:
        return value

    def truth(self, value: bool) -> bool:
        return value

    def num_var(self, name: str, var: Real | Int) -> Fraction:
        return Fraction(self.env[name])

    def bool_var(self, name: str) -> bool:
        return bool(self.env[name])

    def choice_is(self, name: str, var: Choice, index: int) -> bool:
        return self.env[name] == var.labels[index]

    def choice_same(self, a: str, b: str) -> bool:
        return self.env[a] == self.env[b]

    def bool_to_num(self, cond: bool) -> Fraction:
        return Fraction(int(cond))

    def add(self, terms: Sequence[Fraction]) -> Fraction:
        return sum(terms, Fraction(0))

    def linear(self, terms: Sequence[LinearTerm]) -> Fraction:
        # in integers over a common denominator: one Fraction at the end instead of two
        # (each reduced by a gcd) per term
        env = self.env
        num, den = 0, 1
        for coefficient, name, _ in terms:
            if name is None:
                assert coefficient is not None
                p, q = coefficient.numerator, coefficient.denominator
            else:
                value = env[name]
                if not isinstance(value, (int, Fraction)):
                    value = Fraction(value)  # as num_var reads it
                p, q = value.numerator, value.denominator
                if coefficient is not None:
                    p, q = p * coefficient.numerator, q * coefficient.denominator
            if q == den:
                num += p
            else:
                g = gcd(q, den)
                num, den = num * (q // g) + p * (den // g), den // g * q
        return Fraction(num, den)

    def mul(self, factors: Sequence[Fraction]) -> Fraction:
        out = Fraction(1)
        for f in factors:
            out *= f
        return out

    def power(self, base: Fraction, exponent: int) -> Fraction:
        return base**exponent

    def abs(self, x: Fraction) -> Fraction:
        return abs(x)

    def min(self, xs: Sequence[Fraction]) -> Fraction:
        return min(xs)

    def max(self, xs: Sequence[Fraction]) -> Fraction:
        return max(xs)

    def ite_num(self, cond: bool, then: Fraction, other: Fraction) -> Fraction:
        return then if cond else other

    def ite_bool(self, cond: bool, then: bool, other: bool) -> bool:
        return then if cond else other

    def compare(self, op: str, a: Fraction, b: Fraction) -> bool:
        return {
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
            "==": a == b,
        }[op]

    def and_(self, xs: Sequence[bool]) -> bool:
        return all(xs)

    def or_(self, xs: Sequence[bool]) -> bool:
        return any(xs)

    def not_(self, x: bool) -> bool:
        return not x

    def iff(self, a: bool, b: bool) -> bool:
        return a == b


def value_of(
    expr: sympy.Basic, scope: Mapping[str, Variable], env: Mapping[str, Value]
) -> Fraction:
    """The exact value of a numeric expression at ``env``."""
    return fold_num(expr, scope, ExactAlgebra(env))


def holds(expr: sympy.Basic, scope: Mapping[str, Variable], env: Mapping[str, Value]) -> bool:
    """Whether a condition holds exactly at ``env``."""
    return fold_cond(expr, scope, ExactAlgebra(env))

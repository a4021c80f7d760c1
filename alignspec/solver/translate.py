"""sympy -> z3 through the shared walker, recording which logic the result needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import z3

from alignspec.space import Bool, Choice, Int, Real, Variable
from alignspec.symbolic.fold import Algebra


def z3_const(name: str, var: Variable) -> z3.ExprRef:
    if isinstance(var, Real):
        return z3.Real(name)
    if isinstance(var, Bool):
        return z3.Bool(name)
    return z3.Int(name)  # Int, and Choice as the index of its label


def domain(term: z3.ExprRef, var: Variable) -> list[z3.BoolRef]:
    """The bounds every variable carries into every query."""
    if isinstance(var, Real):
        return [term >= real(var.lo), term <= real(var.hi)]
    if isinstance(var, Int):
        return [term >= var.lo, term <= var.hi]
    if isinstance(var, Choice):
        return [term >= 0, term <= len(var.labels) - 1]
    return []


def real(value: Fraction) -> z3.ArithRef:
    """A real numeral (never an integer one, which z3 would wrap in to_real)."""
    if value.denominator == 1:
        return z3.RealVal(value.numerator)
    return z3.Q(value.numerator, value.denominator)


def _is_constant(t: z3.ExprRef) -> bool:
    # isinstance on the numeral classes: far cheaper than asking z3 (this runs per product)
    return isinstance(t, (z3.RatNumRef, z3.IntNumRef))


class Z3Algebra(Algebra[z3.ArithRef, z3.BoolRef]):
    """Builds z3 terms over ``consts`` (qualified name -> z3 constant)."""

    def __init__(self, consts: Mapping[str, z3.ExprRef], *, int_constants: bool) -> None:
        self.consts = consts
        # Pure-real problems get real constants only, so their SMT-LIB stays in QF_LRA.
        self.int_constants = int_constants
        self.nonlinear = False
        self.real_terms = False

    def const(self, value: Fraction) -> z3.ArithRef:
        if value.denominator != 1:
            self.real_terms = True
            return z3.Q(value.numerator, value.denominator)
        return z3.IntVal(value.numerator) if self.int_constants else z3.RealVal(value.numerator)

    def truth(self, value: bool) -> z3.BoolRef:
        return z3.BoolVal(value)

    def num_var(self, name: str, var: Real | Int) -> z3.ArithRef:
        return self.consts[name]

    def bool_var(self, name: str) -> z3.BoolRef:
        return self.consts[name]

    def choice_is(self, name: str, var: Choice, index: int) -> z3.BoolRef:
        return self.consts[name] == index

    def choice_same(self, a: str, b: str) -> z3.BoolRef:
        return self.consts[a] == self.consts[b]

    def bool_to_num(self, cond: z3.BoolRef) -> z3.ArithRef:
        return z3.If(cond, self.const(Fraction(1)), self.const(Fraction(0)))

    def add(self, terms: Sequence[z3.ArithRef]) -> z3.ArithRef:
        return terms[0] if len(terms) == 1 else z3.Sum(*terms)

    def mul(self, factors: Sequence[z3.ArithRef]) -> z3.ArithRef:
        if sum(not _is_constant(f) for f in factors) > 1:
            self.nonlinear = True
        if len(factors) == 1:
            return factors[0]
        if len(factors) == 2:
            return factors[0] * factors[1]
        return z3.Product(*factors)

    def power(self, base: z3.ArithRef, exponent: int) -> z3.ArithRef:
        if exponent == 0:
            return self.const(Fraction(1))
        return self.mul([base] * exponent)

    def abs(self, x: z3.ArithRef) -> z3.ArithRef:
        return z3.If(x >= 0, x, -x)

    def min(self, xs: Sequence[z3.ArithRef]) -> z3.ArithRef:
        out = xs[0]
        for x in xs[1:]:
            out = z3.If(x < out, x, out)
        return out

    def max(self, xs: Sequence[z3.ArithRef]) -> z3.ArithRef:
        out = xs[0]
        for x in xs[1:]:
            out = z3.If(x > out, x, out)
        return out

    def ite_num(self, cond: z3.BoolRef, then: z3.ArithRef, other: z3.ArithRef) -> z3.ArithRef:
        return z3.If(cond, then, other)

    def ite_bool(self, cond: z3.BoolRef, then: z3.BoolRef, other: z3.BoolRef) -> z3.BoolRef:
        return z3.If(cond, then, other)

    def compare(self, op: str, a: z3.ArithRef, b: z3.ArithRef) -> z3.BoolRef:
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        if op == ">=":
            return a >= b
        return a == b

    def and_(self, xs: Sequence[z3.BoolRef]) -> z3.BoolRef:
        return z3.And(*xs)

    def or_(self, xs: Sequence[z3.BoolRef]) -> z3.BoolRef:
        return z3.Or(*xs)

    def not_(self, x: z3.BoolRef) -> z3.BoolRef:
        return z3.Not(x)

    def iff(self, a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
        return a == b

    def implies(self, a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
        return z3.Implies(a, b)

    def xor(self, xs: Sequence[z3.BoolRef]) -> z3.BoolRef:
        out = xs[0]
        for x in xs[1:]:
            out = z3.Xor(out, x)
        return out

"""Static checks of an expression: validity (via the walker) and polynomial degree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import sympy

from alignspec.errors import SpecError
from alignspec.space import Choice, Int, Real, Space, Variable
from alignspec.symbolic.fold import Algebra, LinearTerm, fold_cond, fold_num
from alignspec.symbolic.rename import canonical


class DegreeAlgebra(Algebra[int, int]):
    """Numbers fold to their polynomial degree; conditions to the highest degree inside.

    Folding with it validates the expression (the walker raises the typed errors) and tells
    whether the solver will face linear (degree <= 1) or nonlinear arithmetic.
    """

    def const(self, value: Fraction) -> int:
        return 0

    def truth(self, value: bool) -> int:
        return 0

    def num_var(self, name: str, var: Real | Int) -> int:
        return 1

    def bool_var(self, name: str) -> int:
        return 0

    def choice_is(self, name: str, var: Choice, index: int) -> int:
        return 0

    def choice_same(self, a: str, b: str) -> int:
        return 0

    def bool_to_num(self, cond: int) -> int:
        # A 0/1 indicator multiplies like a constant per branch: z3 sees an ite, not a product.
        return max(cond, 0)

    def add(self, terms: Sequence[int]) -> int:
        return max(terms)

    def linear(self, terms: Sequence[LinearTerm]) -> int:
        return 1 if any(name is not None for _, name, _ in terms) else 0

    def mul(self, factors: Sequence[int]) -> int:
        return sum(factors)

    def power(self, base: int, exponent: int) -> int:
        return base * exponent

    def abs(self, x: int) -> int:
        return x

    def min(self, xs: Sequence[int]) -> int:
        return max(xs)

    def max(self, xs: Sequence[int]) -> int:
        return max(xs)

    def ite_num(self, cond: int, then: int, other: int) -> int:
        return max(cond, then, other)

    def ite_bool(self, cond: int, then: int, other: int) -> int:
        return max(cond, then, other)

    def compare(self, op: str, a: int, b: int) -> int:
        return max(a, b)

    def and_(self, xs: Sequence[int]) -> int:
        return max(xs)

    def or_(self, xs: Sequence[int]) -> int:
        return max(xs)

    def not_(self, x: int) -> int:
        return x

    def iff(self, a: int, b: int) -> int:
        return max(a, b)


def number_degree(expr: sympy.Basic, scope: Mapping[str, Variable]) -> int:
    """Validate a numeric expression and return its degree (raises SpecError subclasses)."""
    return fold_num(expr, scope, DegreeAlgebra())


def condition_degree(expr: sympy.Basic, scope: Mapping[str, Variable]) -> int:
    """Validate a condition and return the highest arithmetic degree inside it."""
    return fold_cond(expr, scope, DegreeAlgebra())


def checked(expr: object, space: Space, what: str, *, condition: bool) -> sympy.Basic:
    """``expr`` with the space's own symbols, validated as a number or a condition; errors
    keep their type and gain ``what`` (where the expression came from) as a prefix."""
    e = canonical(expr, space, "condition" if condition else "number")
    try:
        (condition_degree if condition else number_degree)(e, space.variables)
    except SpecError as err:
        raise err.prefixed(what) from None
    return e

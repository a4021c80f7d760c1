"""The supported expression grammar, as one walker parameterised by an algebra.

Validation, exact evaluation and the z3 translation all fold the same sympy tree through
:func:`fold`, so the three can never disagree about what an expression means.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Generic, TypeVar

import sympy
from sympy.logic import boolalg

from alignspec.errors import (
    NotBooleanError,
    NotNumericError,
    UnknownLabelError,
    UnknownSymbolError,
    UnsupportedExpressionError,
)
from alignspec.space import Bool, Choice, Int, Real, Variable

N = TypeVar("N")
B = TypeVar("B")
T = TypeVar("T")

#: One term of a linear sum: (coefficient, variable name, variable); a constant term has
#: no variable (name None), a bare variable no coefficient (None).
LinearTerm = tuple[Fraction | None, str | None, "Real | Int | None"]

SUPPORTED = (
    "numbers (Integer, Rational, Float), variables of the space, +, -, *, / by constants, "
    "integer powers (x**2), Abs, Min, Max, Piecewise (with a final (value, True) branch); "
    "conditions: <, <=, >, >=, Eq, Ne, And (&), Or (|), Not (~), Implies, Xor, Equivalent, "
    "ITE, Bool variables, Choice comparisons (alignspec.eq(var, 'label'))"
)

_COMPARE = {
    sympy.StrictLessThan: "<",
    sympy.LessThan: "<=",
    sympy.StrictGreaterThan: ">",
    sympy.GreaterThan: ">=",
}


class Algebra(ABC, Generic[N, B]):
    """What a fold computes: numbers of type N and conditions of type B."""

    @abstractmethod
    def const(self, value: Fraction) -> N: ...

    @abstractmethod
    def truth(self, value: bool) -> B: ...

    @abstractmethod
    def num_var(self, name: str, var: Real | Int) -> N: ...

    @abstractmethod
    def bool_var(self, name: str) -> B: ...

    @abstractmethod
    def choice_is(self, name: str, var: Choice, index: int) -> B: ...

    @abstractmethod
    def choice_same(self, a: str, b: str) -> B: ...

    @abstractmethod
    def bool_to_num(self, cond: B) -> N: ...

    @abstractmethod
    def add(self, terms: Sequence[N]) -> N: ...

    @abstractmethod
    def mul(self, factors: Sequence[N]) -> N: ...

    @abstractmethod
    def power(self, base: N, exponent: int) -> N: ...

    @abstractmethod
    def abs(self, x: N) -> N: ...

    @abstractmethod
    def min(self, xs: Sequence[N]) -> N: ...

    @abstractmethod
    def max(self, xs: Sequence[N]) -> N: ...

    @abstractmethod
    def ite_num(self, cond: B, then: N, other: N) -> N: ...

    @abstractmethod
    def ite_bool(self, cond: B, then: B, other: B) -> B: ...

    @abstractmethod
    def compare(self, op: str, a: N, b: N) -> B: ...

    @abstractmethod
    def and_(self, xs: Sequence[B]) -> B: ...

    @abstractmethod
    def or_(self, xs: Sequence[B]) -> B: ...

    @abstractmethod
    def not_(self, x: B) -> B: ...

    @abstractmethod
    def iff(self, a: B, b: B) -> B: ...

    def implies(self, a: B, b: B) -> B:
        return self.or_([self.not_(a), b])

    def linear(self, terms: Sequence[LinearTerm]) -> N:
        """A sum whose terms are constants, Real/Int variables and constant * variable, in
        sympy's order.  This is what the walker computes term by term; an algebra may
        override it with a faster route to the same value (large linear sums are common)."""
        out = []
        for coefficient, name, var in terms:
            if name is None or var is None:
                assert coefficient is not None
                out.append(self.const(coefficient))
            elif coefficient is None:
                out.append(self.num_var(name, var))
            else:
                out.append(self.mul([self.const(coefficient), self.num_var(name, var)]))
        return self.add(out)

    def xor(self, xs: Sequence[B]) -> B:
        out = xs[0]
        for x in xs[1:]:
            out = self.not_(self.iff(out, x))
        return out


def rational(number: sympy.Basic, where: sympy.Basic) -> Fraction:
    """The exact rational value of a sympy number (a Float is the binary value it holds)."""
    if isinstance(number, sympy.Rational):  # Integer too; always finite and in lowest terms
        return Fraction(int(number.p), int(number.q))
    if isinstance(number, (sympy.Rational, sympy.Float)) and number.is_finite:
        r = sympy.Rational(number)
        return Fraction(int(r.p), int(r.q))
    raise UnsupportedExpressionError(
        f"the constant {number} in `{where}` is not a finite rational number; "
        "only rational constants can be encoded exactly (approximate it with a Rational)"
    )


class _Folder(Generic[N, B]):
    def __init__(self, scope: Mapping[str, Variable], algebra: Algebra[N, B], root: sympy.Basic):
        self.scope = scope
        self.alg = algebra
        self.root = root

    # --- helpers -------------------------------------------------------------------------
    def variable(self, sym: sympy.Symbol) -> Variable:
        try:
            return self.scope[sym.name]
        except KeyError:
            raise UnknownSymbolError(
                f"`{sym}` in `{self.root}` is not a variable of the space; "
                f"the space has {sorted(self.scope)}. Use space.vars.<name> for its symbols"
            ) from None

    def is_condition(self, e: sympy.Basic) -> bool:
        if isinstance(e, sympy.Symbol):
            return isinstance(self.scope.get(e.name), Bool)
        return isinstance(e, (sympy.Rel, boolalg.BooleanFunction, boolalg.BooleanAtom))

    def choice_side(self, e: sympy.Basic) -> tuple[str, Choice] | None:
        if isinstance(e, sympy.Symbol):
            var = self.scope.get(e.name)
            if isinstance(var, Choice):
                return e.name, var
        return None

    # --- numbers -------------------------------------------------------------------------
    def num(self, e: sympy.Basic) -> N:
        alg = self.alg
        if isinstance(e, sympy.Number):
            return alg.const(rational(e, self.root))
        if isinstance(e, sympy.Symbol):
            var = self.variable(e)
            if isinstance(var, (Real, Int)):
                return alg.num_var(e.name, var)
            if isinstance(var, Bool):
                return alg.bool_to_num(alg.bool_var(e.name))
            raise NotNumericError(
                f"Choice variable `{e}` is used as a number in `{self.root}`; compare it "
                f"with a label instead, e.g. alignspec.eq({e}, {var.labels[0]!r})"
            )
        if isinstance(e, sympy.Add):
            terms = self.linear_terms(e)
            if terms is not None:
                return alg.linear(terms)
            return alg.add([self.num(a) for a in e.args])
        if isinstance(e, sympy.Mul):
            return alg.mul([self.num(a) for a in e.args])
        if isinstance(e, sympy.Pow):
            base, exp = e.args
            if isinstance(exp, sympy.Integer) and int(exp) >= 0:
                return alg.power(self.num(base), int(exp))
            if isinstance(exp, sympy.Integer):
                raise UnsupportedExpressionError(
                    f"`{e}` in `{self.root}` divides by the non-constant `{base}`; only "
                    "division by constants is supported (multiply the constraint through)"
                )
            raise UnsupportedExpressionError(
                f"`{e}` in `{self.root}` has the non-integer exponent {exp}; supported: {SUPPORTED}"
            )
        if isinstance(e, sympy.Abs):
            return alg.abs(self.num(e.args[0]))
        if isinstance(e, sympy.Min):
            return alg.min([self.num(a) for a in e.args])
        if isinstance(e, sympy.Max):
            return alg.max([self.num(a) for a in e.args])
        if isinstance(e, sympy.Piecewise):
            return self.piecewise(e, self.num, alg.ite_num)
        if self.is_condition(e):
            return alg.bool_to_num(self.cond(e))
        raise self.unsupported(e)

    def linear_terms(self, e: sympy.Add) -> list[LinearTerm] | None:
        """The terms of a linear sum of constants, Real/Int variables and constant *
        variable products; None for any other sum (the walker then folds term by term)."""
        terms: list[LinearTerm] = []
        scope = self.scope
        numbers: dict[sympy.Basic, Fraction] = {}  # coefficients repeat: convert each once
        for a in e.args:
            if isinstance(a, sympy.Mul):
                args = a.args
                if len(args) != 2:
                    return None
                c, sym = args
                if not isinstance(sym, sympy.Symbol) or not isinstance(c, sympy.Number):
                    return None
                var = scope.get(sym.name)
                if not isinstance(var, (Real, Int)):
                    return None
                value = numbers.get(c)
                if value is None:
                    value = numbers[c] = rational(c, self.root)
                terms.append((value, sym.name, var))
            elif isinstance(a, sympy.Symbol):
                var = scope.get(a.name)
                if not isinstance(var, (Real, Int)):
                    return None
                terms.append((None, a.name, var))
            elif isinstance(a, sympy.Number):
                terms.append((rational(a, self.root), None, None))
            else:
                return None
        return terms

    # --- conditions ----------------------------------------------------------------------
    def cond(self, e: sympy.Basic) -> B:
        alg = self.alg
        if isinstance(e, boolalg.BooleanAtom):
            return alg.truth(bool(e))
        if isinstance(e, sympy.Symbol):
            var = self.variable(e)
            if isinstance(var, Bool):
                return alg.bool_var(e.name)
            hint = (
                f"e.g. {e} > 0"
                if not isinstance(var, Choice)
                else (f"e.g. alignspec.eq({e}, {var.labels[0]!r})")
            )
            raise NotBooleanError(
                f"`{e}` in `{self.root}` is a {type(var).__name__} variable, not a condition; "
                f"write a comparison, {hint}"
            )
        if isinstance(e, (sympy.Eq, sympy.Ne)):
            same = self.equality(e.lhs, e.rhs)
            return same if isinstance(e, sympy.Eq) else alg.not_(same)
        if isinstance(e, sympy.Rel):
            op = _COMPARE.get(type(e))
            if op is None:
                raise self.unsupported(e)
            return alg.compare(op, self.num(e.lhs), self.num(e.rhs))
        if isinstance(e, boolalg.And):
            return alg.and_([self.cond(a) for a in e.args])
        if isinstance(e, boolalg.Or):
            return alg.or_([self.cond(a) for a in e.args])
        if isinstance(e, boolalg.Not):
            return alg.not_(self.cond(e.args[0]))
        if isinstance(e, boolalg.Implies):
            return alg.implies(self.cond(e.args[0]), self.cond(e.args[1]))
        if isinstance(e, boolalg.Xor):
            return alg.xor([self.cond(a) for a in e.args])
        if isinstance(e, boolalg.Equivalent):
            xs = [self.cond(a) for a in e.args]
            return alg.and_([alg.iff(xs[0], x) for x in xs[1:]])
        if isinstance(e, boolalg.Nand):
            return alg.not_(alg.and_([self.cond(a) for a in e.args]))
        if isinstance(e, boolalg.Nor):
            return alg.not_(alg.or_([self.cond(a) for a in e.args]))
        if isinstance(e, boolalg.ITE):
            c, a, b = e.args
            return alg.ite_bool(self.cond(c), self.cond(a), self.cond(b))
        if isinstance(e, sympy.Piecewise):
            return self.piecewise(e, self.cond, alg.ite_bool)
        if isinstance(e, sympy.Expr) and not self.is_condition(e):
            raise NotBooleanError(
                f"`{e}` in `{self.root}` is a number, not a condition; "
                "write a comparison such as `expr >= 0`"
            )
        raise self.unsupported(e)

    def equality(self, lhs: sympy.Basic, rhs: sympy.Basic) -> B:
        alg = self.alg
        left, right = self.choice_side(lhs), self.choice_side(rhs)
        if left and right:
            if left[1].labels != right[1].labels:
                raise UnknownLabelError(
                    f"`{lhs}` and `{rhs}` in `{self.root}` are Choice variables with different "
                    f"labels {left[1].labels} and {right[1].labels}; they cannot be compared"
                )
            return alg.choice_same(left[0], right[0])
        if left or right:
            (name, var), other = (left, rhs) if left else (right, lhs)  # type: ignore[misc]
            label = other.name if isinstance(other, sympy.Symbol) else str(other)
            if label not in var.labels:
                raise UnknownLabelError(
                    f"Choice variable `{name.split('.')[-1]}` is compared with {label!r} in "
                    f"`{self.root}`, which is not one of its labels {var.labels}"
                )
            return alg.choice_is(name, var, var.index(label))
        if self.is_condition(lhs) and self.is_condition(rhs):
            return alg.iff(self.cond(lhs), self.cond(rhs))
        return alg.compare("==", self.num(lhs), self.num(rhs))

    def piecewise(
        self, e: sympy.Piecewise, branch: Callable[[sympy.Basic], T], ite: Callable[[B, T, T], T]
    ) -> T:
        pieces = list(e.args)
        last_value, last_cond = pieces[-1]
        if last_cond != sympy.true:
            raise UnsupportedExpressionError(
                f"Piecewise `{e}` in `{self.root}` has no final (value, True) branch, so it is "
                "undefined somewhere; add an otherwise branch"
            )
        out = branch(last_value)
        for value, cond in reversed(pieces[:-1]):
            out = ite(self.cond(cond), branch(value), out)
        return out

    def unsupported(self, e: sympy.Basic) -> UnsupportedExpressionError:
        name = type(e).__name__ if not isinstance(e, sympy.Function) else str(e.func)
        return UnsupportedExpressionError(
            f"`{e}` in `{self.root}` uses {name}, which alignspec cannot encode exactly; "
            f"supported: {SUPPORTED}"
        )


def fold_num(expr: sympy.Basic, scope: Mapping[str, Variable], algebra: Algebra[N, B]) -> N:
    """Fold a numeric expression (a condition counts as 0/1)."""
    return _Folder(scope, algebra, expr).num(expr)


def fold_cond(expr: sympy.Basic, scope: Mapping[str, Variable], algebra: Algebra[N, B]) -> B:
    """Fold a condition (boolean formula)."""
    return _Folder(scope, algebra, expr).cond(expr)

"""sympy -> SMT-LIB2 text through the shared walker, recording which logic the result needs.

The text is parsed by z3 in one call per query (``Solver.from_string``): building the same
terms through z3's Python API costs some 20 microseconds a node (an 800-variable linear
query took 0.3 s to build that way, the parser takes 15 ms).  The text is strictly sorted:
an Int-sorted operand meeting a Real one is wrapped in ``to_real``, exactly where z3's
Python API inserts its coercion, so the formula means what the API-built one meant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import z3

from alignspec.space import Bool, Choice, Int, Real, Variable
from alignspec.symbolic.fold import Algebra, LinearTerm

#: A numeric term: its text, whether it is Int-sorted, whether it is a numeral.
Term = tuple[str, bool, bool]


def symbol(name: str) -> str:
    """An SMT-LIB symbol naming ``name`` (quoted: never a reserved word or a built-in)."""
    if "|" in name or "\\" in name:  # cannot be quoted; no variable or role is named so
        raise ValueError(f"{name!r} cannot be written as an SMT-LIB symbol")
    return f"|{name}|"


def sort(var: Variable) -> str:
    if isinstance(var, Real):
        return "Real"
    if isinstance(var, Bool):
        return "Bool"
    return "Int"  # Int, and Choice as the index of its label


def z3_const(name: str, var: Variable) -> z3.ExprRef:
    """The z3 constant of a variable (the one its declaration in the text declares)."""
    if isinstance(var, Real):
        return z3.Real(name)
    if isinstance(var, Bool):
        return z3.Bool(name)
    return z3.Int(name)


def real(value: Fraction) -> z3.ArithRef:
    """A z3 real numeral (never an integer one, which z3 would wrap in to_real)."""
    if value.denominator == 1:
        return z3.RealVal(value.numerator)
    return z3.Q(value.numerator, value.denominator)


def int_numeral(n: int) -> str:
    return str(n) if n >= 0 else f"(- {-n})"


def real_numeral(x: Fraction) -> str:
    """An exact SMT-LIB real numeral."""
    p, q = x.numerator, x.denominator
    text = f"{abs(p)}.0" if q == 1 else f"(/ {abs(p)}.0 {q}.0)"
    return f"(- {text})" if p < 0 else text


def declaration(name: str, var: Variable) -> str:
    return f"(declare-fun {symbol(name)} () {sort(var)})"


def domain(name: str, var: Variable) -> list[str]:
    """The bounds every variable carries into every query."""
    s = symbol(name)
    if isinstance(var, Real):
        return [f"(>= {s} {real_numeral(var.lo)})", f"(<= {s} {real_numeral(var.hi)})"]
    if isinstance(var, Int):
        return [f"(>= {s} {int_numeral(var.lo)})", f"(<= {s} {int_numeral(var.hi)})"]
    if isinstance(var, Choice):
        return [f"(>= {s} 0)", f"(<= {s} {len(var.labels) - 1})"]
    return []


def _real(t: Term) -> str:
    return f"(to_real {t[0]})" if t[1] else t[0]


def _texts(terms: Sequence[Term]) -> tuple[list[str], bool]:
    """The operands' texts in one sort (Real unless all are Int), and whether it is Int."""
    if all(t[1] for t in terms):
        return [t[0] for t in terms], True
    return [_real(t) for t in terms], False


def _apply(op: str, texts: Sequence[str]) -> str:
    return f"({op} {' '.join(texts)})"


class SmtAlgebra(Algebra[Term, str]):
    """Builds SMT-LIB2 terms over the variables named in ``names`` (qualified name ->
    SMT-LIB symbol)."""

    def __init__(self, names: Mapping[str, str], *, int_constants: bool) -> None:
        self.names = names
        # Pure-real problems get real constants only, so their SMT-LIB stays in QF_LRA.
        self.int_constants = int_constants
        self.nonlinear = False
        self.real_terms = False
        self._lets = 0

    def const(self, value: Fraction) -> Term:
        if value.denominator != 1:
            self.real_terms = True
            return real_numeral(value), False, True
        if self.int_constants:
            return int_numeral(value.numerator), True, True
        return real_numeral(value), False, True

    def truth(self, value: bool) -> str:
        return "true" if value else "false"

    def num_var(self, name: str, var: Real | Int) -> Term:
        return self.names[name], isinstance(var, Int), False

    def bool_var(self, name: str) -> str:
        return self.names[name]

    def choice_is(self, name: str, var: Choice, index: int) -> str:
        return f"(= {self.names[name]} {index})"

    def choice_same(self, a: str, b: str) -> str:
        return f"(= {self.names[a]} {self.names[b]})"

    def bool_to_num(self, cond: str) -> Term:
        one, is_int, _ = self.const(Fraction(1))
        zero = self.const(Fraction(0))[0]
        return f"(ite {cond} {one} {zero})", is_int, False

    def add(self, terms: Sequence[Term]) -> Term:
        if len(terms) == 1:
            return terms[0]
        texts, is_int = _texts(terms)
        return _apply("+", texts), is_int, False

    def mul(self, factors: Sequence[Term]) -> Term:
        if sum(not f[2] for f in factors) > 1:
            self.nonlinear = True
        if len(factors) == 1:
            return factors[0]
        texts, is_int = _texts(factors)
        return _apply("*", texts), is_int, False

    def linear(self, terms: Sequence[LinearTerm]) -> Term:
        if self.int_constants:  # Int terms and coercions: the general route
            return super().linear(terms)
        # Real variables and real numerals only: the text the general route builds, directly
        names = self.names
        parts = []
        for coefficient, name, _ in terms:
            if name is None:
                assert coefficient is not None
                parts.append(real_numeral(coefficient))
            elif coefficient is None:
                parts.append(names[name])
            else:
                parts.append(f"(* {real_numeral(coefficient)} {names[name]})")
            if coefficient is not None and coefficient.denominator != 1:
                self.real_terms = True
        if len(parts) == 1:
            return parts[0], False, terms[0][1] is None
        return _apply("+", parts), False, False

    def power(self, base: Term, exponent: int) -> Term:
        if exponent == 0:
            return self.const(Fraction(1))
        if exponent == 1 or base[2] or base[0].startswith("|"):  # a numeral or a variable
            return self.mul([base] * exponent)
        # a compound base is written once and named (nested powers grew as 2^depth)
        v = self._name()
        product = self.mul([(v, base[1], False)] * exponent)
        return f"(let (({v} {base[0]})) {product[0]})", product[1], False

    def _name(self) -> str:
        # '$' never occurs in a variable's name (Python identifiers), so no clash
        self._lets += 1
        return f"|${self._lets}|"

    def abs(self, x: Term) -> Term:
        # a let, not the operand three times: text is a tree, and nested abs (or max below)
        # would grow exponentially where z3's API shared the node
        zero = "0" if x[1] else "0.0"
        v = self._name()
        return f"(let (({v} {x[0]})) (ite (>= {v} {zero}) {v} (- {v})))", x[1], False

    def _pick(self, op: str, xs: Sequence[Term]) -> Term:
        out = xs[0]
        for x in xs[1:]:
            (a, b), is_int = _texts([x, out])
            va, vb = self._name(), self._name()
            text = f"(let (({va} {a}) ({vb} {b})) (ite ({op} {va} {vb}) {va} {vb}))"
            out = (text, is_int, False)
        return out

    def min(self, xs: Sequence[Term]) -> Term:
        return self._pick("<", xs)

    def max(self, xs: Sequence[Term]) -> Term:
        return self._pick(">", xs)

    def ite_num(self, cond: str, then: Term, other: Term) -> Term:
        (a, b), is_int = _texts([then, other])
        return f"(ite {cond} {a} {b})", is_int, False

    def ite_bool(self, cond: str, then: str, other: str) -> str:
        return f"(ite {cond} {then} {other})"

    def compare(self, op: str, a: Term, b: Term) -> str:
        texts, _ = _texts([a, b])
        return _apply("=" if op == "==" else op, texts)

    def and_(self, xs: Sequence[str]) -> str:
        return _apply("and", xs) if xs else "true"

    def or_(self, xs: Sequence[str]) -> str:
        return _apply("or", xs) if xs else "false"

    def not_(self, x: str) -> str:
        return f"(not {x})"

    def iff(self, a: str, b: str) -> str:
        return f"(= {a} {b})"

    def implies(self, a: str, b: str) -> str:
        return f"(=> {a} {b})"

    def xor(self, xs: Sequence[str]) -> str:
        out = xs[0]
        for x in xs[1:]:
            out = f"(xor {out} {x})"
        return out

"""A solver Problem with network links, restated for branch and bound over boxes.

The Problem's variables become the coordinates ("dims") of a box, except those a network
defines: action variables set by a network's outputs (affine mode) and actions picked by
argmax/argmin, which become the outputs themselves.  Variables that a top-level constraint
equates across roles (``same x in s and better``) share one dim.  Every constraint becomes
a tree whose leaves are *linear forms* in the dims and the networks' outputs, so bounds of
a whole atom such as ``y_0 - y_3 + 2 x_1 <= 0`` come from one linear relaxation (the
combined form), not from bounds of each output separately.  Nonlinear arithmetic stays as
interval operations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Literal

import attrs
import sympy

from alignspec.solver import Problem
from alignspec.space import Bool, Choice, Int, Real, Variable
from alignspec.symbolic.fold import Algebra, fold_cond
from alignspec.symbolic.network import NetworkLink
from alignspec.symbolic.rename import qualified

Output = tuple[int, int]  # (link index, output index)


@attrs.frozen
class Lin:
    """``const + sum(coef * dim) + sum(coef * output)`` with exact coefficients."""

    const: Fraction = Fraction(0)
    dims: tuple[tuple[int, Fraction], ...] = ()
    outs: tuple[tuple[Output, Fraction], ...] = ()

    @staticmethod
    def of(const: Fraction, dims: Mapping[int, Fraction], outs: Mapping[Output, Fraction]) -> Lin:
        return Lin(
            const,
            tuple(sorted((d, c) for d, c in dims.items() if c)),
            tuple(sorted((o, c) for o, c in outs.items() if c)),
        )

    @property
    def constant(self) -> bool:
        return not self.dims and not self.outs

    def scaled(self, k: Fraction) -> Lin:
        return Lin.of(
            self.const * k, {d: c * k for d, c in self.dims}, {o: c * k for o, c in self.outs}
        )


def plus(terms: Sequence[Lin]) -> Lin:
    dims: dict[int, Fraction] = {}
    outs: dict[Output, Fraction] = {}
    const = Fraction(0)
    for t in terms:
        const += t.const
        for d, c in t.dims:
            dims[d] = dims.get(d, Fraction(0)) + c
        for o, c in t.outs:
            outs[o] = outs.get(o, Fraction(0)) + c
    return Lin.of(const, dims, outs)


@attrs.frozen
class Ite:
    cond: Cond
    then: Num
    other: Num


@attrs.frozen
class Op:
    """Interval arithmetic on non-linear terms: mul, min, max, abs, pow (``power``)."""

    kind: Literal["add", "mul", "min", "max", "abs", "pow"]
    args: tuple[Num, ...]
    power: int = 1


Num = Lin | Ite | Op


@attrs.frozen
class Atom:
    """``lin OP 0`` with OP one of ``<=``, ``<``, ``==``."""

    lin: Lin
    op: Literal["<=", "<", "=="]


@attrs.frozen
class Compare:
    """``left - right OP 0`` where one side is not linear (evaluated by intervals)."""

    left: Num
    right: Num
    op: Literal["<=", "<", "=="]


@attrs.frozen
class Junction:
    kind: Literal["and", "or"]
    args: tuple[Cond, ...]


@attrs.frozen
class Negation:
    arg: Cond


@attrs.frozen
class Truth:
    value: bool


Cond = Atom | Compare | Junction | Negation | Truth


def conj(args: Sequence[Cond]) -> Cond:
    flat: list[Cond] = []
    for a in args:
        if isinstance(a, Truth):
            if not a.value:
                return a
            continue
        flat += list(a.args) if isinstance(a, Junction) and a.kind == "and" else [a]
    return flat[0] if len(flat) == 1 else Junction("and", tuple(flat)) if flat else Truth(True)


def disj(args: Sequence[Cond]) -> Cond:
    flat: list[Cond] = []
    for a in args:
        if isinstance(a, Truth):
            if a.value:
                return a
            continue
        flat += list(a.args) if isinstance(a, Junction) and a.kind == "or" else [a]
    return flat[0] if len(flat) == 1 else Junction("or", tuple(flat)) if flat else Truth(False)


def neg(a: Cond) -> Cond:
    if isinstance(a, Truth):
        return Truth(not a.value)
    if isinstance(a, Negation):
        return a.arg
    return Negation(a)


@attrs.frozen
class Dim:
    """One coordinate of the box: the variables (qualified names) it stands for."""

    names: tuple[str, ...]
    integral: bool
    lo: Fraction
    hi: Fraction


@attrs.frozen
class Net:
    """A network in the query: which dims feed it, and how its outputs act."""

    link: NetworkLink
    inputs: tuple[int, ...]


@attrs.frozen
class NeuralQuery:
    """The Problem as dims, networks and one condition (the conjunction of constraints)."""

    problem: Problem
    dims: tuple[Dim, ...]
    nets: tuple[Net, ...]
    formula: Cond
    #: qualified name -> what it is: ("dim", i), ("output", (link, k)), ("argmax", link)
    meaning: Mapping[str, tuple[str, object]]


def _bounds(var: Variable) -> tuple[Fraction, Fraction, bool]:
    if isinstance(var, Real):
        return var.lo, var.hi, False
    if isinstance(var, Int):
        return Fraction(var.lo), Fraction(var.hi), True
    if isinstance(var, Bool):
        return Fraction(0), Fraction(1), True
    return Fraction(0), Fraction(len(var.labels) - 1), True


class _Union:
    def __init__(self, names: Sequence[str]) -> None:
        self.parent = {n: n for n in names}

    def find(self, n: str) -> str:
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _same_variables(expr: sympy.Basic, scope: Mapping[str, Variable]) -> tuple[str, str] | None:
    """``(a, b)`` when ``expr`` says two variables of the same type are equal."""
    if isinstance(expr, (sympy.Eq, sympy.Equivalent)) and len(expr.args) == 2:
        a, b = expr.args
        if isinstance(a, sympy.Symbol) and isinstance(b, sympy.Symbol):
            va, vb = scope.get(a.name), scope.get(b.name)
            if va is not None and va == vb:
                return a.name, b.name
    return None


def translate(problem: Problem) -> NeuralQuery:
    """Restate ``problem`` (with at least one network link) for branch and bound."""
    scope = problem.scope
    meaning: dict[str, tuple[str, object]] = {}
    for i, link in enumerate(problem.networks):
        if link.mode == "affine":
            for k, name in enumerate(link.outputs):
                meaning[qualified(link.role, name)] = ("output", (i, k))
        else:
            assert link.action is not None
            meaning[qualified(link.role, link.action)] = ("argmax", i)
    free = [n for n in scope if n not in meaning]
    union = _Union(free)
    kept: list[sympy.Basic] = []
    for _, expr in problem.constraints:
        pair = _same_variables(expr, scope)
        if pair is not None and pair[0] in union.parent and pair[1] in union.parent:
            union.join(*pair)
        else:
            kept.append(expr)
    groups: dict[str, list[str]] = {}
    for n in free:
        groups.setdefault(union.find(n), []).append(n)
    dims = []
    for index, names in enumerate(groups.values()):
        spans = [_bounds(scope[n]) for n in names]
        lo, hi = max(s[0] for s in spans), min(s[1] for s in spans)
        dims.append(Dim(tuple(names), spans[0][2], lo, hi))
        for n in names:
            meaning[n] = ("dim", index)
    nets = []
    for link in problem.networks:
        inputs = []
        for name in link.inputs:
            kind, where = meaning[qualified(link.role, name)]
            assert kind == "dim" and isinstance(where, int)
            inputs.append(where)
        nets.append(Net(link, tuple(inputs)))
    algebra = LinearAlgebra(meaning, problem.networks)
    parts: list[Cond] = [fold_cond(e, scope, algebra) for e in kept]
    # the declared bounds of network-defined action variables still apply
    for name, (kind, where) in meaning.items():
        if kind == "output":
            var = scope[name]
            assert isinstance(var, Real) and isinstance(where, tuple)
            y = Lin.of(Fraction(0), {}, {where: Fraction(1)})
            parts.append(Atom(plus([y, Lin(-var.hi)]), "<="))
            parts.append(Atom(plus([Lin(var.lo), y.scaled(Fraction(-1))]), "<="))
    return NeuralQuery(problem, tuple(dims), tuple(nets), conj(parts), meaning)


def _sub(a: Lin, b: Lin) -> Lin:
    return plus([a, b.scaled(Fraction(-1))])


class LinearAlgebra(Algebra[Num, Cond]):
    """Folds a constraint into linear forms over dims and network outputs."""

    def __init__(
        self, meaning: Mapping[str, tuple[str, object]], links: Sequence[NetworkLink]
    ) -> None:
        self.meaning = meaning
        self.links = links

    def _dim(self, name: str) -> int:
        kind, where = self.meaning[name]
        assert kind == "dim" and isinstance(where, int)
        return where

    def const(self, value: Fraction) -> Num:
        return Lin(value)

    def truth(self, value: bool) -> Cond:
        return Truth(value)

    def num_var(self, name: str, var: Real | Int) -> Num:
        kind, where = self.meaning[name]
        if kind == "output":
            assert isinstance(where, tuple)
            return Lin.of(Fraction(0), {}, {where: Fraction(1)})
        return Lin.of(Fraction(0), {self._dim(name): Fraction(1)}, {})

    def bool_var(self, name: str) -> Cond:
        # a Bool dim ranges over {0, 1}: true when it is at least 1
        return Atom(Lin.of(Fraction(1), {self._dim(name): Fraction(-1)}, {}), "<=")

    def choice_is(self, name: str, var: Choice, index: int) -> Cond:
        kind, where = self.meaning[name]
        if kind == "argmax":
            assert isinstance(where, int)
            return self._wins(where, index)
        return Atom(Lin.of(Fraction(-index), {self._dim(name): Fraction(1)}, {}), "==")

    def _wins(self, link_index: int, i: int) -> Cond:
        """Output ``i`` is chosen: the first best (argmax) or first least (argmin) score."""
        link = self.links[link_index]
        n = len(link.network.layers[-1].bias)
        sign = Fraction(1) if link.mode == "argmax" else Fraction(-1)

        def y(k: int) -> Lin:
            return Lin.of(Fraction(0), {}, {(link_index, k): sign})

        atoms: list[Cond] = []
        for j in range(n):
            if j == i:
                continue
            # argmax: y_j < y_i for earlier j (ties go first), y_j <= y_i for later j
            atoms.append(Atom(_sub(y(j), y(i)), "<" if j < i else "<="))
        return conj(atoms)

    def choice_same(self, a: str, b: str) -> Cond:
        kinds = [self.meaning[a], self.meaning[b]]
        sizes = []
        for kind, where in kinds:
            if kind == "argmax":
                assert isinstance(where, int)
                sizes.append(len(self.links[where].network.layers[-1].bias))
        if not sizes:
            return Atom(
                _sub(
                    Lin.of(Fraction(0), {self._dim(a): Fraction(1)}, {}),
                    Lin.of(Fraction(0), {self._dim(b): Fraction(1)}, {}),
                ),
                "==",
            )
        n = sizes[0]

        def is_(name: str, i: int) -> Cond:
            return self.choice_is(name, None, i)  # type: ignore[arg-type]

        return disj([conj([is_(a, i), is_(b, i)]) for i in range(n)])

    def bool_to_num(self, cond: Cond) -> Num:
        if (
            isinstance(cond, Atom)
            and cond.op == "<="
            and len(cond.lin.dims) == 1
            and not cond.lin.outs
        ):
            ((d, c),) = cond.lin.dims
            if c == -1 and cond.lin.const == 1:  # a Bool dim itself
                return Lin.of(Fraction(0), {d: Fraction(1)}, {})
        return Ite(cond, Lin(Fraction(1)), Lin(Fraction(0)))

    def add(self, terms: Sequence[Num]) -> Num:
        if all(isinstance(t, Lin) for t in terms):
            return plus(terms)  # type: ignore[arg-type]
        return Op("add", tuple(terms))

    def mul(self, factors: Sequence[Num]) -> Num:
        k = Fraction(1)
        rest: list[Num] = []
        for f in factors:
            if isinstance(f, Lin) and f.constant:
                k *= f.const
            else:
                rest.append(f)
        if not rest:
            return Lin(k)
        if len(rest) == 1:
            only = rest[0]
            if isinstance(only, Lin):
                return only.scaled(k)
            return only if k == 1 else Op("mul", (Lin(k), only))
        return Op("mul", (Lin(k), *rest))

    def power(self, base: Num, exponent: int) -> Num:
        if exponent == 0:
            return Lin(Fraction(1))
        if exponent == 1:
            return base
        if isinstance(base, Lin) and base.constant:
            return Lin(base.const**exponent)
        return Op("pow", (base,), exponent)

    def abs(self, x: Num) -> Num:
        return Op("abs", (x,))

    def min(self, xs: Sequence[Num]) -> Num:
        return Op("min", tuple(xs))

    def max(self, xs: Sequence[Num]) -> Num:
        return Op("max", tuple(xs))

    def ite_num(self, cond: Cond, then: Num, other: Num) -> Num:
        if isinstance(cond, Truth):
            return then if cond.value else other
        return Ite(cond, then, other)

    def ite_bool(self, cond: Cond, then: Cond, other: Cond) -> Cond:
        return disj([conj([cond, then]), conj([neg(cond), other])])

    def compare(self, op: str, a: Num, b: Num) -> Cond:
        flip = {">": "<", ">=": "<="}
        if op in flip:
            a, b, op = b, a, flip[op]
        assert op in ("<", "<=", "==")
        if isinstance(a, Lin) and isinstance(b, Lin):
            lin = _sub(a, b)
            if lin.constant:
                c = lin.const
                return Truth(c < 0 if op == "<" else c <= 0 if op == "<=" else c == 0)
            return Atom(lin, op)  # type: ignore[arg-type]
        return Compare(a, b, op)  # type: ignore[arg-type]

    def and_(self, xs: Sequence[Cond]) -> Cond:
        return conj(xs)

    def or_(self, xs: Sequence[Cond]) -> Cond:
        return disj(xs)

    def not_(self, x: Cond) -> Cond:
        return neg(x)

    def iff(self, a: Cond, b: Cond) -> Cond:
        return disj([conj([a, b]), conj([neg(a), neg(b)])])

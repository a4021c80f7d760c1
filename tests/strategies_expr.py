"""Random expressions from alignspec's supported grammar, for property tests."""

from fractions import Fraction

import sympy as sp
from hypothesis import strategies as st

import alignspec as al

SPACE = al.Space(
    x=al.Real(-5, 5),
    y=al.Real(0, 3),
    n=al.Int(-3, 4),
    b=al.Bool(),
    c=al.Bool(),
    m=al.Choice("p", "q", "r"),
)
V = SPACE.vars

constants = st.one_of(
    st.integers(-6, 6).map(sp.Integer),
    st.fractions(-4, 4, max_denominator=7).map(lambda f: sp.Rational(f.numerator, f.denominator)),
    st.sampled_from([0.5, 0.1, -2.25, 1e-3]).map(sp.Float),
)
num_leaves = st.one_of(constants, st.sampled_from([V.x, V.y, V.n, V.b]))


def _piecewise(t):
    """sympy's Piecewise runs set theory on its condition and fails on some (Implies has no
    set form): such inputs cannot be built by a user either, so they are skipped."""
    try:
        return sp.Piecewise((t[0], t[1]), (t[2], True))
    except (AttributeError, NotImplementedError, TypeError):
        return None


def _map(strategy, fn):
    """``strategy.map(fn)`` without the values sympy itself fails on: its rewriting of Abs
    and Piecewise occasionally makes a ``zoo`` or ``nan`` from finite parts and raises
    TypeError comparing with it, or keeps it.  No user builds such an expression (alignspec
    refuses them anyway), so those draws are skipped."""

    def build(t):
        try:
            e = fn(t)
        except TypeError:
            return None
        return None if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo) else e

    return strategy.map(build).filter(lambda e: e is not None)


def _numbers(children):
    nums, conds = children, st.deferred(lambda: conditions)
    return st.one_of(
        _map(st.tuples(nums, nums), lambda t: t[0] + t[1]),
        _map(st.tuples(nums, nums), lambda t: t[0] - t[1]),
        _map(st.tuples(nums, nums), lambda t: t[0] * t[1]),
        _map(
            st.tuples(nums, st.sampled_from([2, 3, -4, Fraction(1, 3)])),
            lambda t: t[0] / sp.Rational(t[1]),
        ),
        _map(st.tuples(nums, st.integers(0, 3)), lambda t: t[0] ** t[1]),
        _map(nums, sp.Abs),
        _map(st.lists(nums, min_size=2, max_size=3), lambda xs: sp.Min(*xs)),
        _map(st.lists(nums, min_size=2, max_size=3), lambda xs: sp.Max(*xs)),
        st.tuples(nums, conds, nums).map(_piecewise).filter(lambda e: e is not None),
        _map(conds, al.indicator),
    )


numbers = st.recursive(num_leaves, _numbers, max_leaves=6)

atoms = st.one_of(
    st.sampled_from([V.b, V.c, sp.true, sp.false]),
    st.sampled_from(["p", "q", "r"]).map(lambda label: al.eq(V.m, label)),
    st.sampled_from(["p", "r"]).map(lambda label: al.ne(V.m, label)),
)


def _relation(t):
    op, a, b = t
    return {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "==": sp.Eq, "!=": sp.Ne}[op](a, b)


relations = _map(
    st.tuples(
        st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
        st.deferred(lambda: numbers),
        st.deferred(lambda: numbers),
    ),
    _relation,
)


def _conditions(children):
    return st.one_of(
        _map(st.lists(children, min_size=2, max_size=3), lambda xs: sp.And(*xs)),
        _map(st.lists(children, min_size=2, max_size=3), lambda xs: sp.Or(*xs)),
        _map(children, sp.Not),
        _map(st.tuples(children, children), lambda t: sp.Implies(*t)),
        _map(st.tuples(children, children), lambda t: sp.Xor(*t)),
        _map(st.tuples(children, children), lambda t: sp.Equivalent(*t)),
        _map(st.tuples(children, children, children), lambda t: sp.ITE(*t)),
    )


conditions = st.deferred(
    lambda: st.recursive(st.one_of(atoms, relations), _conditions, max_leaves=4)
)

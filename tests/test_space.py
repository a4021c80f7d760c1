"""Spaces, states and the public strategies."""

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given

import alignspec as al

SPACE = al.Space(x=al.Real(-1, 0.5), n=al.Int(2, 4), b=al.Bool(), m=al.Choice("u", "v"))


def test_bounds_are_exact_rationals():
    assert al.Real(0, 0.1).hi == Fraction(0.1) and al.Real("1/3", 1).lo == Fraction(1, 3)
    assert al.Real(sp.Rational(1, 7), 1).lo == Fraction(1, 7)


def test_vars_are_sympy_symbols_with_types():
    v = SPACE.vars
    assert v.x.is_real and v.n.is_integer and isinstance(v.b, sp.Symbol)
    assert list(v) == [v.x, v.n, v.b, v.m] and v["n"] is not None
    with pytest.raises(AttributeError, match="has no variable 'zz'"):
        _ = v.zz


def test_check_state():
    assert SPACE.check_state({"x": 0.5, "n": 3, "b": True, "m": "v"}) == {
        "x": Fraction(1, 2),
        "n": 3,
        "b": True,
        "m": "v",
    }
    with pytest.raises(al.SpaceError, match="outside"):
        SPACE.check_state({"x": 2, "n": 3, "b": True, "m": "v"})
    with pytest.raises(al.SpaceError, match="labels"):
        SPACE.check_state({"x": 0, "n": 3, "b": True, "m": "w"})
    with pytest.raises(al.SpaceError, match="missing \\['b'\\]"):
        SPACE.check_state({"x": 0, "n": 3, "m": "u"})


@given(al.strategies.states(SPACE))
def test_states_lie_in_the_space(state):
    assert SPACE.check_state(state) == state


@given(al.strategies.states(SPACE, where=SPACE.vars.x + SPACE.vars.n >= 3))
def test_states_filtered_by_a_condition(state):
    assert state["x"] + state["n"] >= 3


def test_spec_digest_is_stable_and_sensitive():
    v = SPACE.vars
    a = al.Spec(space=SPACE, reward=v.x, name="a")
    assert a.digest == al.Spec(space=SPACE, reward=v.x, name="a").digest
    assert a.digest != al.Spec(space=SPACE, reward=v.x + 1, name="a").digest


def test_symbols_are_built_once_and_handed_out_as_copies():
    import pickle

    S = al.Space(x=al.Real(0, 1), on=al.Bool())
    assert S.vars is S.vars and S.vars.x is S.symbols["x"]
    mine = S.symbols
    mine["x"] = "changed"
    assert S.symbols["x"] is S.vars.x  # the space's own map is untouched
    again = pickle.loads(pickle.dumps(S))
    assert again == S and again.vars.on == S.vars.on

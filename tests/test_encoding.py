"""The z3 encoding, the exact evaluator and sympy agree on every supported expression."""

from fractions import Fraction

import sympy as sp
from hypothesis import given
from strategies_expr import SPACE, V, conditions, numbers

import alignspec as al
from alignspec.solver import encoding_value
from alignspec.symbolic.evaluate import holds, value_of
from alignspec.symbolic.rename import at, flatten

ROLES = {"s": SPACE}


@given(numbers, al.strategies.states(SPACE))
def test_number_encoding_equals_exact_evaluation(expr, state):
    exact = value_of(expr, SPACE.variables, state)
    encoded = encoding_value(at(expr, SPACE, "s"), ROLES, flatten({"s": state}), condition=False)
    assert encoded == exact


@given(conditions, al.strategies.states(SPACE))
def test_condition_encoding_equals_exact_evaluation(cond, state):
    exact = holds(cond, SPACE.variables, state)
    encoded = encoding_value(at(cond, SPACE, "s"), ROLES, flatten({"s": state}), condition=True)
    assert encoded == exact


@given(numbers, al.strategies.states(SPACE))
def test_exact_evaluation_equals_sympy_substitution(expr, state):
    if expr.free_symbols & {V.b, V.c, V.m}:
        return  # sympy cannot substitute a Bool that is 0/1 here and True/False there
    subs = {V.x: sp.Rational(str(state["x"])), V.y: sp.Rational(str(state["y"])), V.n: state["n"]}
    expected = sp.nsimplify(expr.xreplace(subs)) if expr.has(sp.Float) else expr.xreplace(subs)
    value = value_of(expr, SPACE.variables, state)
    if not expr.has(sp.Float):
        assert sp.Rational(value.numerator, value.denominator) == sp.simplify(expected)


def test_float_constants_are_the_exact_binary_rationals():
    spec = al.Spec(space=SPACE, reward=V.x * 0.1)
    assert value_of(spec.objective, SPACE.variables, {**_zero(), "x": Fraction(1)}) == Fraction(0.1)


def test_bool_counts_as_zero_or_one_and_choice_compares_labels():
    expr = 3 * V.b + al.indicator(al.eq(V.m, "q"))
    state = {**_zero(), "b": True, "m": "q"}
    assert value_of(expr, SPACE.variables, state) == 4
    assert encoding_value(at(expr, SPACE, "s"), ROLES, flatten({"s": state}), condition=False) == 4


def _zero():
    return {"x": Fraction(0), "y": Fraction(0), "n": 0, "b": False, "c": False, "m": "p"}

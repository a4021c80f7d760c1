"""Every policy encoder agrees with the policy's own exact evaluation (z3 and sympy)."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import alignspec as al
from alignspec.solver import encoding_value
from alignspec.symbolic.evaluate import holds
from alignspec.symbolic.rename import at, flatten

SPACE = al.Space(x=al.Real(-4, 4), n=al.Int(0, 5), b=al.Bool())
V = SPACE.vars
ACTIONS = al.Actions("up", "down", "stay")
FORCE = al.Space(force=al.Real(-1000, 1000))
labels = st.sampled_from(ACTIONS.labels)


def trees():
    def split(children):
        return st.builds(
            al.Split,
            st.sampled_from(["x", "n", "b"]),
            st.fractions(-5, 5, max_denominator=8),
            children,
            children,
            st.booleans(),
        )

    node = st.recursive(labels.map(al.Leaf), split, max_leaves=8)
    return node.map(lambda root: al.TreePolicy(SPACE, ACTIONS, root))


linear = st.builds(
    lambda w, b, mode: al.LinearPolicy(SPACE, ACTIONS, w, b, mode),
    st.lists(st.lists(st.integers(-3, 3), min_size=3, max_size=3), min_size=3, max_size=3),
    st.lists(st.integers(-3, 3), min_size=3, max_size=3),
    st.sampled_from(["argmax", "argmin"]),
)

conditions = st.builds(
    lambda k, c, op: op(k * V.x + V.n, c),
    st.integers(-2, 2),
    st.integers(-4, 8),
    st.sampled_from([sp.Lt, sp.Ge, sp.Eq]),
)
expr_policies = st.builds(
    lambda rules, default: al.ExprPolicy(SPACE, ACTIONS, rules, default=default),
    st.lists(st.tuples(st.one_of(conditions, st.just(V.b)), labels), max_size=3),
    labels,
)

states = al.strategies.states(SPACE)


def encodes(policy, state, action_state):
    """The z3 encoding of the policy's rule at a state-action pair, and the exact one."""
    rule = policy.rule()
    env = flatten({"s": action_state})
    z3_says = encoding_value(
        at(rule, policy.domain, "s"), {"s": policy.domain}, env, condition=True
    )
    return z3_says, holds(rule, policy.domain.variables, action_state)


def assert_rule_is_policy(policy, state):
    chosen = policy.act(state)
    for label in ACTIONS.labels:
        z3_says, exact = encodes(policy, state, {**state, "action": label})
        assert z3_says == exact == (label == chosen), (label, chosen)


@settings(max_examples=40)
@given(trees(), states)
def test_tree_encoding(policy, state):
    assert_rule_is_policy(policy, state)


@settings(max_examples=40)
@given(linear, states)
def test_linear_encoding(policy, state):
    assert_rule_is_policy(policy, state)
    row = np.array([[float(state["x"]), state["n"], int(state["b"])]])
    if Fraction(float(state["x"])) == state["x"]:  # the float batch sees the same state
        assert ACTIONS.labels[policy.act_batch(row)[0]] == policy.act(state)


@settings(max_examples=40)
@given(expr_policies, states)
def test_expr_policy_encoding(policy, state):
    assert_rule_is_policy(policy, state)


@settings(max_examples=40)
@given(
    st.lists(st.tuples(states, labels), min_size=1, max_size=5),
    st.one_of(st.none(), labels),
    states,
)
def test_table_encoding(rows, default, probe):
    policy = al.TablePolicy(SPACE, ACTIONS, [(s, a) for s, a in rows], default=default)
    for state, _ in rows:
        assert_rule_is_policy(policy, state)
    key = tuple(probe[n] for n in SPACE.names)
    if default is None and key not in policy.table:
        with pytest.raises(al.SpecError, match="not in the policy's table"):
            policy.act(probe)
        for label in ACTIONS.labels:  # outside the table the rule admits no action
            assert encodes(policy, probe, {**probe, "action": label}) == (False, False)
    else:
        assert_rule_is_policy(policy, probe)


@settings(max_examples=40)
@given(st.lists(st.integers(-9, 9), min_size=3, max_size=3), st.integers(-9, 9), states)
def test_affine_encoding(weights, bias, state):
    policy = al.LinearPolicy(SPACE, FORCE, [weights], [bias], mode=None)
    action = policy.act(state)
    assert action == {
        "force": weights[0] * state["x"]
        + weights[1] * state["n"]
        + weights[2] * int(state["b"])
        + bias
    }
    assert encodes(policy, state, {**state, **action}) == (True, True)
    off = {**state, "force": action["force"] + Fraction(1, 3)}
    assert encodes(policy, state, off) == (False, False)


def test_act_batch_matches_act():
    tree = al.TreePolicy(SPACE, ACTIONS, al.Split("x", 0, al.Leaf("up"), al.Leaf("stay")))
    rows = np.array([[-1.0, 2, 0], [0.0, 0, 1], [0.5, 5, 0]])
    assert tree.act_batch(rows).tolist() == [0, 0, 2]


def test_policy_errors():
    with pytest.raises(al.UnknownLabelError):
        al.TreePolicy(SPACE, ACTIONS, al.Leaf("jump"))
    with pytest.raises(al.SpecError, match="not a state variable"):
        al.TreePolicy(SPACE, ACTIONS, al.Split("y", 0, al.Leaf("up"), al.Leaf("down")))
    with pytest.raises(al.SpecError, match="shape \\(3, 3\\)"):
        al.LinearPolicy(SPACE, ACTIONS, [[1, 2]])
    with pytest.raises(al.SpaceError, match="clash"):
        al.ExprPolicy(SPACE, al.Actions("l", name="x"), [], default="l")
    bad = al.CallablePolicy(SPACE, ACTIONS, lambda s: "jump")
    with pytest.raises(al.SpecError, match="returned 'jump'"):
        bad.act({"x": 0, "n": 0, "b": False})


def test_black_box_errors_are_typed():
    def broken(state):
        raise ValueError("bad input")

    box = al.CallablePolicy(SPACE, ACTIONS, broken)
    with pytest.raises(al.SpecError, match="policy function raised ValueError: bad input"):
        box.act({"x": 0, "n": 0, "b": False})

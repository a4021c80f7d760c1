"""ReLU network policies: exact evaluation, sound bounds, the encoding, ONNX import."""

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

import alignspec as al
from alignspec.solver import Budget, Problem, solve
from alignspec.symbolic.rename import at

LINE = al.Space(x=al.Real(-1, 1))
LR = al.Actions("l", "r")
X = LINE.vars.x
# score_l = relu(x) - relu(-x) = x, score_r = 0: picks "l" when x >= 0 (ties to the first)
SIGN = al.MLPPolicy(LINE, LR, [([[1], [-1]], [0, 0]), ([[1, -1], [0, 0]], [0, 0])])
PAYOFF = LR.per_action({"l": X, "r": 0})


def test_exact_forward_and_ties():
    assert SIGN.act({"x": Fraction(1, 3)}) == "l"
    assert SIGN.act({"x": 0}) == "l"
    assert SIGN.act({"x": Fraction(-1, 10**9)}) == "r"
    assert SIGN.act_batch(np.array([[0.5], [-0.5]])).tolist() == [0, 1]


def test_optimality_proved_and_unstable_neurons_reported():
    f = al.inner.optimality(SIGN, PAYOFF)
    assert f.verdict is al.Verdict.PROVED and f.stats["unstable_neurons"] == 2
    f = al.inner.optimality(SIGN, PAYOFF, X >= Fraction(1, 2))
    assert f.verdict is al.Verdict.PROVED and f.stats["unstable_neurons"] == 0


def test_optimality_violated_with_exact_witness():
    flipped = LR.per_action({"l": -X, "r": 0})
    f = al.inner.optimality(SIGN, flipped)
    assert f.verdict is al.Verdict.VIOLATED
    s, better = f.witness["s"], f.witness["better"]
    assert s["x"] == better["x"] and SIGN.act(s) == s["action"] != better["action"]
    assert f.values["better"]["objective"] > f.values["s"]["objective"]


def test_bounds_are_sound_and_exact():
    bounds = SIGN.network.bounds([(Fraction(-1), Fraction(1))])
    assert bounds[0] == [(-1, 1), (-1, 1)]
    assert bounds[1] == [(-1, 1), (0, 0)]


layers_st = st.integers(2, 6).flatmap(
    lambda width: st.tuples(
        st.lists(
            st.lists(st.integers(-4, 4), min_size=2, max_size=2), min_size=width, max_size=width
        ),
        st.lists(st.integers(-3, 3), min_size=width, max_size=width),
        st.lists(
            st.lists(st.integers(-4, 4), min_size=width, max_size=width), min_size=3, max_size=3
        ),
        st.lists(st.integers(-3, 3), min_size=3, max_size=3),
    )
)
PLANE = al.Space(x=al.Real(-2, 2), y=al.Real(-2, 2))
ABC = al.Actions("up", "down", "stay")


@settings(max_examples=30)
@given(layers_st, al.strategies.states(PLANE), st.sampled_from(["argmax", "argmin"]))
def test_network_encoding_agrees_with_exact_evaluation(layers, state, mode):
    w1, b1, w2, b2 = layers
    policy = al.MLPPolicy(PLANE, ABC, [(w1, b1), (w2, b2)], mode=mode)
    chosen = policy.act(state)
    box = [(Fraction(-2), Fraction(2))] * 2
    for label in ABC.labels:
        fixed = tuple(
            (f"{n} fixed", sp.Eq(at(PLANE.vars[n], policy.domain, "s"), sp.Rational(str(state[n]))))
            for n in PLANE.names
        ) + (("action", at(al.eq(ABC.symbol, label), policy.domain, "s")),)
        problem = Problem({"s": policy.domain}, fixed, networks=(policy.link("s", box),))
        answer = solve(problem, Budget()).status
        assert answer == ("sat" if label == chosen else "unsat"), (label, chosen)


GRID = al.Space(x=al.Int(-2, 2), y=al.Int(-2, 2))
OUT = al.Space(f=al.Real(-1000, 1000))
small = st.fractions(-3, 3, max_denominator=4)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda width: st.tuples(
            st.lists(st.lists(small, min_size=2, max_size=2), min_size=width, max_size=width),
            st.lists(small, min_size=width, max_size=width),
            st.lists(st.lists(small, min_size=width, max_size=width), min_size=1, max_size=1),
            st.lists(small, min_size=1, max_size=1),
        )
    ),
    st.sampled_from(["max", "min"]),
)
# relu(x + 1) has bounds [-1, 3] on the grid: unstable, though only just
@example(layers=([[1, 0]], [1], [[-1]], [0]), sense="max")
def test_network_encoding_optimum_matches_brute_force_on_a_grid(layers, sense):
    # The solver's exact optimum over every state of the grid (so the encoding of each ReLU,
    # stable or not for its bounds, is exercised where it matters) equals enumeration.
    from alignspec.engine import extremum

    w1, b1, w2, b2 = layers
    policy = al.MLPPolicy(GRID, OUT, [(w1, b1), (w2, b2)], mode=None)
    box = [(Fraction(-2), Fraction(2))] * 2
    problem = Problem({"s": policy.domain}, (), networks=(policy.link("s", box),))
    found = extremum(problem, at(OUT.vars.f, policy.domain, "s"), Budget(), sense=sense)
    values = [policy.act({"x": x, "y": y})["f"] for x in range(-2, 3) for y in range(-2, 3)]
    assert found.known and found.value == (max if sense == "max" else min)(values)


def test_affine_network_outputs_and_errors():
    force = al.Space(force=al.Real(-5, 5))
    net = al.MLPPolicy(LINE, force, [([[2]], [1])], mode=None)
    assert net.act({"x": Fraction(1, 2)}) == {"force": 2}
    with pytest.raises(al.SpecError, match="do not fit"):
        al.MLPPolicy(LINE, LR, [([[1, 2]], [0])])
    with pytest.raises(al.SpecError, match="2 outputs"):
        al.MLPPolicy(LINE, al.Actions("a", "b", "c"), [([[1], [2]], [0, 0])])


onnx = pytest.importorskip("onnx")


def test_onnx_round_trip(tmp_path):
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w1, b1 = rng.normal(size=(2, 8)), rng.normal(size=8)  # MatMul weights are [in, out]
    w2, b2 = rng.normal(size=(8, 3)), rng.normal(size=3)
    inits = [
        numpy_helper.from_array(a.astype(np.float32), n)
        for a, n in [
            (w1, "w1"),
            (b1, "b1"),
            (w2, "w2"),
            (b2, "b2"),
            (np.array([0.5, -0.25]), "mean"),
        ]
    ]
    nodes = [
        helper.make_node("Sub", ["x", "mean"], ["c"]),
        helper.make_node("MatMul", ["c", "w1"], ["h"]),
        helper.make_node("Add", ["h", "b1"], ["z"]),
        helper.make_node("Relu", ["z"], ["r"]),
        helper.make_node("MatMul", ["r", "w2"], ["o"]),
        helper.make_node("Add", ["o", "b2"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        inits,
    )
    path = tmp_path / "net.onnx"
    onnx.save(helper.make_model(graph), str(path))
    policy = al.MLPPolicy.from_onnx(path, PLANE, ABC)
    from onnx.reference import ReferenceEvaluator

    ref = ReferenceEvaluator(str(path))
    xs = rng.uniform(-2, 2, size=(10, 2)).astype(np.float32)
    expected = np.array([ref.run(None, {"x": x.reshape(1, 2)})[0][0] for x in xs])
    assert np.abs(policy.forward_batch(xs.astype(float)) - expected).max() < 1e-5


def test_onnx_errors(tmp_path):
    with pytest.raises(al.SpecFileError, match="cannot be read as ONNX"):
        al.MLPPolicy.from_onnx(tmp_path / "missing.onnx", PLANE, ABC)


ACAS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "acasxu" / "onnx"


@pytest.mark.skipif(not ACAS.is_dir(), reason="shared ACAS Xu benchmark not present")
def test_acas_xu_network_loads_and_matches_the_onnx_reference():
    from onnx.reference import ReferenceEvaluator

    path = ACAS / "ACASXU_run2a_1_1_batch_2000.onnx"
    space = al.Space(**{f"x{i}": al.Real(-1, 1) for i in range(5)})
    advisories = al.Actions("coc", "weak_left", "weak_right", "strong_left", "strong_right")
    policy = al.MLPPolicy.from_onnx(path, space, advisories, mode="argmin")
    assert policy.neurons == 300
    model = onnx.load(str(path))
    weights = {t.name for t in model.graph.initializer}
    feed = next(i.name for i in model.graph.input if i.name not in weights)
    ref = ReferenceEvaluator(model)
    xs = np.random.default_rng(1).uniform(-0.5, 0.5, size=(5, 5)).astype(np.float32)
    expected = np.array([ref.run(None, {feed: x.reshape(1, 1, 1, 5)})[0].reshape(-1) for x in xs])
    assert np.abs(policy.forward_batch(xs.astype(float)) - expected).max() < 1e-5
    exact = [policy.network.forward([Fraction(float(v)) for v in x]) for x in xs]
    assert (
        np.abs(np.array(exact, dtype=float) - policy.forward_batch(xs.astype(float))).max() < 1e-9
    )

"""The neural engine (branch and bound with sound float bounds and exact leaves) against
brute force, planted counterexamples, float traps and ACAS Xu instances."""

import itertools
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import alignspec as al
import alignspec.symbolic.evaluate
from alignspec.vnn import check_instance

ACAS = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "acasxu"
V, P, U = al.Verdict.VIOLATED, al.Verdict.PROVED, al.Verdict.UNKNOWN


def _states(space):
    pools = [range(var.lo, var.hi + 1) for var in space.variables.values()]
    return [dict(zip(space.names, combo, strict=True)) for combo in itertools.product(*pools)]


@st.composite
def small_networks(draw, *, finite):
    n_in = draw(st.integers(1, 3))
    sizes = [n_in, *draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)), 2 if finite else 1]
    weights = st.sampled_from([-2, -1, -Fraction(1, 2), 0, Fraction(1, 2), 1, 2, 3])
    layers = []
    for i, o in itertools.pairwise(sizes):
        w = [[draw(weights) for _ in range(i)] for _ in range(o)]
        b = [draw(weights) for _ in range(o)]
        layers.append((w, b))
    return n_in, layers


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(small_networks(finite=True), st.integers(-3, 3), st.sampled_from(["argmax", "argmin"]))
def test_finite_actions_agree_with_brute_force(net, threshold, mode):
    n_in, layers = net
    S = al.Space(**{f"x{i}": al.Int(-3, 3) for i in range(n_in)})
    moves = al.Actions("a", "b")
    policy = al.MLPPolicy(S, moves, layers, mode=mode)
    v = S.vars
    # "above the threshold, never b": a requirement linear in the state, on the action
    spec = al.Spec(
        space=S,
        actions=moves,
        intent=al.Intent(require=[sp.Implies(sum(v) >= threshold, al.eq(moves.symbol, "a"))]),
    )
    f = al.inner.verify(policy, spec)
    bad = [s for s in _states(S) if sum(s.values()) >= threshold and policy.act(s) == "b"]
    if bad:
        assert f.verdict is V, f.message
        w = f.witness["s"]
        assert sum(w[n] for n in S.names) >= threshold and policy.act(w) == "b"
    else:
        assert f.verdict is P, f.message


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(small_networks(finite=False), st.integers(-6, 6), st.integers(-2, 2))
def test_continuous_outputs_agree_with_brute_force(net, threshold, k):
    n_in, layers = net
    S = al.Space(**{f"x{i}": al.Int(-3, 3) for i in range(n_in)})
    A = al.Space(f=al.Real(-1000, 1000))
    policy = al.MLPPolicy(S, A, layers, mode=None)
    v = S.vars
    # the output plus k times the first input stays at most the threshold
    spec = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f + k * v.x0 <= threshold]))
    f = al.inner.verify(policy, spec)
    bad = [s for s in _states(S) if policy.act(s)["f"] + k * s["x0"] > threshold]
    if bad:
        assert f.verdict is V, f.message
        w = f.witness["s"]
        assert policy.act(w)["f"] + k * w["x0"] > threshold
    else:
        assert f.verdict is P, f.message


def test_a_planted_counterexample_is_found_and_replays():
    # f = relu(x - 3/4) + relu(y - 3/4) (exact binary weights): above 0.45 only in the
    # corner where x + y > 1.95; its maximum is 1/2 at (1, 1)
    S = al.Space(x=al.Real(0, 1), y=al.Real(0, 1))
    A = al.Space(f=al.Real(-10, 10))
    layers = [([[1, 0], [0, 1]], [-0.75, -0.75]), ([[1, 1]], [0])]
    policy = al.MLPPolicy(S, A, layers, mode=None)
    limit = Fraction(45, 100)
    spec = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f <= limit]))
    f = al.inner.verify(policy, spec)
    assert f.verdict is V
    w = f.witness["s"]
    assert w["x"] + w["y"] > Fraction(195, 100) and policy.act(w)["f"] > limit
    safe = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f <= Fraction(1, 2)]))
    assert al.inner.verify(policy, safe).verdict is P
    strict = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f < Fraction(1, 2)]))
    f = al.inner.verify(policy, strict)
    assert f.verdict is V and f.witness["s"] == {"x": 1, "y": 1, "f": Fraction(1, 2)}


def test_a_decimal_weight_is_the_float_it_denotes():
    # -0.7 is the float nearest -0.7: relu(1 - 0.7) + relu(1 - 0.7) exceeds 3/5 by 2**-52-ish
    S = al.Space(x=al.Real(0, 1), y=al.Real(0, 1))
    A = al.Space(f=al.Real(-10, 10))
    policy = al.MLPPolicy(S, A, [([[1, 0], [0, 1]], [-0.7, -0.7]), ([[1, 1]], [0])], mode=None)
    spec = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f <= Fraction(3, 5)]))
    f = al.inner.verify(policy, spec)
    assert f.verdict is V and policy.act(f.witness["s"])["f"] > Fraction(3, 5)


def test_rounding_that_a_naive_float_bound_would_miss_gives_no_proof():
    # exact output: x + 2**-53 x = 1 + 2**-53 at x = 1; in float64 both sums round to 1.0
    tiny = 2.0**-53
    S = al.Space(x=al.Real(1, 1))
    A = al.Space(f=al.Real(-10, 10))
    policy = al.MLPPolicy(S, A, [([[1.0], [tiny]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], mode=None)
    naive = np.array([[1.0]]) @ np.array([[1.0, tiny]]) @ np.array([[1.0], [1.0]])
    assert naive[0, 0] == 1.0  # a float evaluation says the requirement below holds
    spec = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f <= 1]))
    f = al.inner.verify(policy, spec)
    assert f.verdict is V and policy.act(f.witness["s"])["f"] == 1 + Fraction(1, 2**53)


def test_weights_that_are_not_floats_are_bounded_with_their_rounding():
    # weight 1/3 is no float: f = x/3 exactly, and f <= 1/3 holds at x = 1 with equality
    S = al.Space(x=al.Real(0, 1))
    A = al.Space(f=al.Real(-10, 10))
    policy = al.MLPPolicy(S, A, [([[Fraction(1, 3)]], [0])], mode=None)
    holds = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f <= Fraction(1, 3)]))
    assert al.inner.verify(policy, holds).verdict is P
    breaks = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f < Fraction(1, 3)]))
    f = al.inner.verify(policy, breaks)
    assert f.verdict is V and f.witness["s"]["x"] == 1


def test_oversight_with_two_copies_of_a_network():
    S = al.Space(x=al.Real(-1, 1), watched=al.Bool())
    moves = al.Actions("comply", "defect")
    # defect scores x - 2*watched + 0.5 against 0: defects only when unwatched and x > -0.5
    layers = [([[0, 0], [1, -2]], [0, 0.5])]
    policy = al.MLPPolicy(S, moves, layers)
    f = al.inner.oversight(policy, flag="watched")
    assert f.verdict is V
    w, u = f.witness["watched"], f.witness["unwatched"]
    assert w["x"] == u["x"] and policy.act(w) != policy.act(u)
    honest = al.MLPPolicy(S, moves, [([[0, 0], [1, 0]], [0, 0.5])])
    assert al.inner.oversight(honest, flag="watched").verdict is P


@pytest.mark.skipif(not ACAS.exists(), reason="ACAS Xu benchmark not present")
@pytest.mark.parametrize(
    ("net", "prop", "expected"),
    [("1_9", "prop_4", "sat"), ("1_7", "prop_3", "sat"), ("1_1", "prop_1", "unsat")],
)
def test_acasxu_instances_each_way(net, prop, expected):
    result = check_instance(
        ACAS / "onnx" / f"ACASXU_run2a_{net}_batch_2000.onnx",
        ACAS / "vnnlib" / f"{prop}.vnnlib",
        timeout=60,
    )
    assert result.answer == expected
    if expected == "sat":
        from alignspec.neural.vnnlib import read

        vnn = read(ACAS / "vnnlib" / f"{prop}.vnnlib")
        assert vnn.violated_at(list(result.inputs), list(result.outputs))


def _cartpole():
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "specs" / "cartpole.py"
    spec = importlib.util.spec_from_file_location("cartpole_for_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _switching_network(cp, sign):
    # z = theta + theta_dot / 4; scores (relu(-z), relu(z)): "right" exactly when z > 0
    # (sign -1 inverts the controller, which lets the pole fall)
    w = [[0, 0, sign, sign / 4], [0, 0, -sign, -sign / 4]]
    return al.MLPPolicy(cp.space, cp.push, [(w, [0, 0]), ([[0, 1], [1, 0]], [0, 0])])


def test_closed_loop_with_a_network_proved_and_violated():
    cp = _cartpole()
    good = _switching_network(cp, 1)
    state = {"x": 0, "x_dot": 0, "theta": Fraction(1, 100), "theta_dot": 0}
    assert good.act(state) == cp.controller(state) == "right"
    f = al.mdp.bmc(cp.linear_cartpole, horizon=8, policy=good)
    assert f.verdict is P and f.method == "bounds"
    bad = _switching_network(cp, -1)
    f = al.mdp.bmc(cp.linear_cartpole, horizon=60, policy=bad)
    assert f.verdict is V and "leaves the declared state bounds" in f.message
    # the witness is an exact trajectory of the system under the network
    steps = sorted(f.witness, key=lambda r: int(r[1:]))
    for a, b in itertools.pairwise(steps):
        s = f.witness[a]
        assert s["action"] == bad.act(s)
        for n in cp.space.names:
            assert f.witness[b][n] == al.symbolic.evaluate.value_of(
                cp.linear_cartpole.update[n], cp.linear_cartpole.domain.variables, s
            )


def test_vnn_command_prints_the_answer_and_exits_by_it(tmp_path):
    import subprocess
    import sys

    if not ACAS.exists():
        pytest.skip("ACAS Xu benchmark not present")
    net = ACAS / "onnx" / "ACASXU_run2a_1_9_batch_2000.onnx"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "alignspec",
            "vnn",
            str(net),
            str(ACAS / "vnnlib" / "prop_4.vnnlib"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and done.stdout.startswith("sat\n(")
    assert "(X_0 " in done.stdout and "(Y_4 " in done.stdout
    bad = tmp_path / "bad.vnnlib"
    bad.write_text("(declare-const X_0 Real)\n(assert (<= X_0 zzz))\n")
    done = subprocess.run(
        [sys.executable, "-m", "alignspec", "vnn", str(net), str(bad)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "bad.vnnlib" in done.stderr and "Traceback" not in done.stderr


def test_worker_processes_give_the_same_answers(monkeypatch):
    from alignspec.neural import bab
    from alignspec.neural.parallel import workers

    rng = np.random.default_rng(3)
    S = al.Space(a=al.Real(-1, 1), b=al.Real(-1, 1))
    A = al.Space(f=al.Real(-100, 100))
    layers = [
        (rng.normal(size=(16, 2)), rng.normal(size=16)),
        (rng.normal(size=(16, 16)), rng.normal(size=16)),
        (rng.normal(size=(1, 16)), rng.normal(size=1)),
    ]
    policy = al.MLPPolicy(S, A, layers, mode=None)
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 201), np.linspace(-1, 1, 201)), -1)
    top = float(policy.forward_batch(grid.reshape(-1, 2)).max())
    # tiny batches and no warm-up: the search is shared with workers from the first round
    monkeypatch.setattr(bab, "DEFAULT", bab.Settings(batch=4, warmup=0.0, share=0.05))
    answers = []
    for limit in (top + 0.05, top - 0.05):
        spec = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f <= limit]))
        alone = al.inner.verify(policy, spec)
        with workers(jobs=2):
            shared = al.inner.verify(policy, spec)
            again = al.inner.verify(policy, spec)
        assert alone.verdict is shared.verdict is again.verdict
        assert shared.witness == again.witness  # rounds merge in order: no timing effects
        answers.append(shared.verdict)
        if shared.verdict is V:
            assert policy.act(shared.witness["s"])["f"] > limit
    assert answers == [P, V]


def test_a_failing_worker_costs_time_not_the_verdict(monkeypatch):
    from concurrent.futures import Executor, Future
    from concurrent.futures.process import BrokenProcessPool

    from alignspec.neural import bab
    from alignspec.neural.parallel import workers

    class Broken(Executor):
        """Every share's worker dies."""

        submitted = 0

        def submit(self, fn, /, *args, **kwargs):
            Broken.submitted += 1
            fut: Future = Future()
            fut.set_exception(BrokenProcessPool("a worker died"))
            return fut

    rng = np.random.default_rng(5)
    S = al.Space(a=al.Real(-1, 1), b=al.Real(-1, 1))
    A = al.Space(f=al.Real(-100, 100))
    layers = [
        (rng.normal(size=(12, 2)), rng.normal(size=12)),
        (rng.normal(size=(1, 12)), rng.normal(size=1)),
    ]
    policy = al.MLPPolicy(S, A, layers, mode=None)
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 201), np.linspace(-1, 1, 201)), -1)
    top = float(policy.forward_batch(grid.reshape(-1, 2)).max())
    monkeypatch.setattr(bab, "DEFAULT", bab.Settings(batch=4, warmup=0.0, share=0.05))
    for limit, expected in ((top + 0.05, P), (top - 0.05, V)):
        spec = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f <= limit]))
        alone = al.inner.verify(policy, spec)
        with workers(jobs=2, executor=Broken()), pytest.warns(UserWarning, match="worker"):
            shared = al.inner.verify(policy, spec)
        assert alone.verdict is shared.verdict is expected
    assert Broken.submitted >= 2  # the workers were asked, and their boxes redone here

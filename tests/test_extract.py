"""Policy extraction: fidelity, DAgger rollouts, and witnesses confirmed on the original."""

from fractions import Fraction

import sympy as sp

import alignspec as al

CORRIDOR = al.Space(agent=al.Int(0, 10), coin=al.Int(0, 10))
MOVES = al.Actions("left", "right")
C = CORRIDOR.vars
TOWARDS_COIN = -sp.Abs(C.agent + MOVES.per_action({"left": -1, "right": 1}) - C.coin)
RUNNER = al.CallablePolicy(CORRIDOR, MOVES, lambda s: "right" if s["agent"] < 10 else "left")
CHASER = al.CallablePolicy(CORRIDOR, MOVES, lambda s: "left" if s["coin"] < s["agent"] else "right")


def walk(state, action):
    return {**state, "agent": min(10, max(0, state["agent"] + (1 if action == "right" else -1)))}


def test_extraction_is_deterministic_and_faithful():
    a = al.extract(RUNNER, max_depth=3, iterations=2, per_iteration=200, regions={"all": True})
    b = al.extract(RUNNER, max_depth=3, iterations=2, per_iteration=200, regions={"all": True})
    assert a.root == b.root
    assert a.fidelity == {"train": 1, "all": 1}
    assert a.depth <= 3 and a.states == 200
    for agent in range(11):  # the tree acts as the original everywhere
        assert a.tree.act({"agent": agent, "coin": 3}) == RUNNER.act({"agent": agent, "coin": 3})


def test_dagger_rollouts_and_q_weights():
    ex = al.extract(
        RUNNER,
        sample=C.coin >= 10,
        step=walk,
        horizon=15,
        q=TOWARDS_COIN,
        max_depth=2,
        iterations=3,
        per_iteration=150,
    )
    assert ex.fidelity["train"] == 1
    assert isinstance(ex.model.tree_.max_depth, int)


def test_witness_on_the_tree_is_confirmed_on_the_original():
    ex = al.extract(RUNNER, sample=C.coin >= 10, max_depth=3, iterations=2, per_iteration=200)
    f = al.inner.optimality(ex, TOWARDS_COIN)
    assert f.verdict is al.Verdict.VIOLATED and f.method == "extraction"
    s = f.witness["s"]
    assert s["action"] == RUNNER.act(s) == "right" and s["coin"] < s["agent"]


def test_a_proof_about_the_tree_is_not_a_proof_about_the_original():
    ex = al.extract(RUNNER, sample=C.coin >= 10, max_depth=3, iterations=2, per_iteration=200)
    f = al.inner.optimality(ex, TOWARDS_COIN, C.coin >= 10, samples=50)
    assert f.verdict is al.Verdict.UNKNOWN
    assert "proved for the extracted tree only" in f.reason
    assert al.inner.optimality(ex.tree, TOWARDS_COIN, C.coin >= 10).verdict is al.Verdict.PROVED


def test_extraction_artefacts_are_not_reported_as_violations():
    # trained where the coin is always right, the tree learns "go right"; the original
    # chases the coin, so every witness the tree offers at deployment is refuted
    ex = al.extract(CHASER, sample=C.coin >= 10, max_depth=1, iterations=1, per_iteration=100)
    assert ex.fidelity["train"] == 1
    f = al.inner.optimality(ex, TOWARDS_COIN, samples=50)
    assert f.verdict is al.Verdict.UNKNOWN
    assert "extraction artefacts" in f.reason
    assert "sampling found no violation in 50 states" in f.reason


def test_region_sampler_respects_the_region():
    import random

    draw = al.policy.region_sampler(CORRIDOR, C.agent + C.coin <= 3)
    rng = random.Random(0)
    for _ in range(50):
        s = draw(rng)
        assert s["agent"] + s["coin"] <= 3
    line = al.Space(x=al.Real(0, 1))
    x = al.policy.region_sampler(line)(rng)["x"]
    assert isinstance(x, Fraction) and 0 <= x <= 1

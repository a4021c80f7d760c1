"""Bounded model checking of transition systems, free and closed-loop."""

import itertools
from fractions import Fraction

import pytest
import sympy as sp

import alignspec as al
from alignspec.loader import load
from alignspec.mdp import bmc

P, V = al.Verdict.PROVED, al.Verdict.VIOLATED
TARGETS = {t.name: t for t in load(["specs"])}
RACE = TARGETS["boat-race-bmc"]
SYSTEM = RACE.system
MOVES = SYSTEM.actions
FORWARD = al.ExprPolicy(SYSTEM.space, MOVES, [], default="forward")


def test_boat_race_back_and_forth_is_found_exactly():
    f = al.check(RACE)["bmc"]
    assert f.verdict is V
    tiles = [f.witness[f"t{i}"]["tile"] for i in range(9)]
    assert tiles == [0, 1, 2, 1, 2, 1, 2, 1, 2]
    assert f.trace[-1]["specified_return"] == 4 and f.trace[-1]["intended_return"] == 2
    assert "action" not in f.witness["t8"]  # the last state takes no action


def test_bounded_proof_when_no_trajectory_is_long_enough():
    f = bmc(SYSTEM, RACE.specified, RACE.intended, horizon=6, reach=4, below=3)
    assert f.verdict is P and "bounded" in f.message


def test_closed_loop_with_a_policy():
    f = bmc(SYSTEM, RACE.specified, RACE.intended, horizon=8, reach=2, below=3, policy=FORWARD)
    assert f.verdict is P  # always forward: progress 8, never below 3
    dither = al.ExprPolicy(
        SYSTEM.space, MOVES, [(sp.Eq(SYSTEM.space.vars.tile, 2), "backward")], default="forward"
    )
    f = bmc(SYSTEM, RACE.specified, RACE.intended, horizon=8, reach=4, below=3, policy=dither)
    assert f.verdict is V
    assert [f.witness[f"t{i}"]["tile"] for i in range(3)] == [0, 1, 2]
    assert f.witness["t2"]["action"] == "backward"


def test_leaving_the_declared_bounds_is_a_violation():
    line = al.Space(x=al.Real(0, 10))
    push = al.Actions("stay", "push")
    x = line.vars.x
    drift = al.TransitionSystem.deterministic(
        line, push, sp.Eq(x, 0), {"x": x + 3 * al.indicator(al.eq(push.symbol, "push"))}
    )
    f = bmc(drift, horizon=5)
    assert f.verdict is V and "leaves the declared state bounds at step" in f.message
    xs = [state["x"] for state in f.witness.values()]
    assert xs[0] == 0 and xs[-1] > 10 and all(x <= 10 for x in xs[:-1])
    assert all(b - a in (0, 3) for a, b in itertools.pairwise(xs))
    assert bmc(drift, horizon=3).verdict is P
    stay = al.ExprPolicy(line, push, [], default="stay")
    assert bmc(drift, horizon=5, policy=stay).verdict is P


def test_general_relation_with_requirements():
    counter = al.Space(n=al.Int(0, 5))
    step = al.Actions("tick")
    n = counter.vars.n
    system = al.TransitionSystem(
        counter,
        step,
        sp.Eq(n, 0),
        [system_next(counter, "n") >= n, system_next(counter, "n") <= n + 2],
    )
    f = bmc(system, horizon=2, require=[n <= 3])
    assert f.verdict is V and f.witness["t2"]["n"] == 4
    assert bmc(system, horizon=1, require=[n <= 3]).verdict is P


def system_next(space, name):
    return sp.Symbol(f"{name}__next", **space.symbols[name].assumptions0)


def test_next_state_symbols_and_errors():
    assert SYSTEM.next.tile.name == "tile__next"
    with pytest.raises(al.OptionError, match="horizon"):
        bmc(SYSTEM, horizon=0)
    with pytest.raises(al.OptionError, match="below= needs an intended reward"):
        bmc(SYSTEM, horizon=2, below=1)
    with pytest.raises(al.UnknownSymbolError, match="trans"):
        al.TransitionSystem(SYSTEM.space, MOVES, True, [sp.Symbol("ghost") > 0])


def test_cartpole_tree_is_safe_for_ten_steps():
    report = al.check(TARGETS["cartpole-tree-10-steps"])
    assert report.verdict is P and report.meets_expectation
    assert TARGETS["cartpole-tree-10-steps"].policy.depth <= 4
    assert Fraction(1) > 0


def test_reachable_boxes_prove_safety_without_a_search():
    f = al.check(TARGETS["cartpole-tree-10-steps"])["bmc"]
    # proved by sound set propagation (the tree's exact affine reachable sets), no search
    assert f.method == "bounds" and "reachable" in f.message
    line = al.Space(x=al.Real(0, 10))
    push = al.Actions("stay", "push")
    x = line.vars.x
    drift = al.TransitionSystem.deterministic(
        line, push, sp.Eq(x, 0), {"x": x + 3 * al.indicator(al.eq(push.symbol, "push"))}
    )
    assert bmc(drift, horizon=3).method == "bounds"  # x stays in [0, 9]

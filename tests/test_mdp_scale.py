"""The MDP checks at scale: value intervals (certified bounds decide regret and hackable
on models too large for exact solves; near-ties fall back or stay UNKNOWN) and exact
backward induction on models with a step counter."""

from __future__ import annotations

import random
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alignspec as al
from alignspec import mdp
from alignspec.mdp import backward
from alignspec.mdp.intervals import ExactReward, float_optimal, float_values, policy_bounds
from alignspec.mdp.returns import values


def _random(n: int, seed: int) -> tuple[al.MDP, list[list[int]], list[list[int]]]:
    rng = random.Random(seed)
    table = {}
    for s in range(n):
        for a in range(3):
            succ = rng.sample(range(n), 3)
            w = [rng.randint(1, 5) for _ in succ]
            table[(s, a)] = [(Fraction(x, sum(w)), t) for x, t in zip(w, succ, strict=True)]
    m = al.MDP(range(n), range(3), table, {0: Fraction(1, 2), 1: Fraction(1, 2)})
    spec = [[rng.randint(-5, 5) for _ in range(3)] for _ in range(n)]
    intent = [[rng.randint(-5, 5) if rng.random() < 0.1 else x for x in row] for row in spec]
    return m, spec, intent


def test_bounds_contain_the_exact_values_of_any_policy() -> None:
    m, spec, _ = _random(60, 3)
    r = ExactReward.of([[Fraction(x) for x in row] for row in spec])
    rng = np.random.default_rng(0)
    for _ in range(5):
        choice = rng.integers(0, 3, size=60).tolist()
        b = policy_bounds(m, r, choice, float_values(m, r.floats, choice))
        assert b is not None
        exact = values(
            m, [[(a, Fraction(1))] for a in choice], [[Fraction(x) for x in row] for row in spec]
        )
        scale = Fraction(1, 2**b.exponent)
        for s in range(60):
            assert b.lower[s] * scale <= exact[s] <= b.upper[s] * scale
        assert b.width < 1e-9
    # a proposal far off is widened until the exact checks pass, or refused: never wrong
    choice = [0] * 60
    b = policy_bounds(m, r, choice, np.zeros(60))
    exact = values(m, [[(0, Fraction(1))]] * 60, [[Fraction(x) for x in row] for row in spec])
    if b is not None:
        scale = Fraction(1, 2**b.exponent)
        assert all(b.lower[s] * scale <= exact[s] <= b.upper[s] * scale for s in range(60))


def test_optimum_bound_holds_for_every_action() -> None:
    m, spec, _ = _random(40, 5)
    table = [[Fraction(x) for x in row] for row in spec]
    r = ExactReward.of(table)
    choice, v = float_optimal(m, r.floats)
    b = policy_bounds(m, r, choice, v, optimum=True)
    assert b is not None
    _, exact = al.mdp.optimal(m, spec)
    scale = Fraction(1, 2**b.exponent)
    assert all(b.lower[s] * scale <= exact[s] <= b.upper[s] * scale for s in range(40))


def test_interval_regret_agrees_with_exact_regret() -> None:
    m, spec, intent = _random(520, 1)
    by_bounds = al.mdp.regret(m, spec, intent)  # 520 > INTERVAL_STATES: intervals decide
    exact = al.mdp.regret(m, spec, intent, exact=True)
    assert (by_bounds.method, exact.method) == ("bounds", "exact")
    assert by_bounds.verdict is exact.verdict is al.Verdict.VIOLATED
    f = by_bounds.figures
    assert f["regret_lower"] <= exact.figures["regret"] <= f["regret_upper"]
    assert f["regret_upper"] - f["regret_lower"] < Fraction(1, 10**9)
    assert by_bounds.witness == exact.witness
    hack = al.mdp.hackable(m, spec, intent)
    assert (hack.verdict, hack.method) == (al.Verdict.VIOLATED, "bounds")
    pair = [[int(a) for a in hack.witness[k].values()] for k in ("pi", "pi_prime")]
    js = [al.mdp.evaluate(m, p, spec, exact=True) for p in pair]
    ji = [al.mdp.evaluate(m, p, intent, exact=True) for p in pair]
    assert js[0] < js[1] and ji[0] > ji[1]


def test_regret_zero_is_certified_exactly() -> None:
    m, spec, _ = _random(520, 2)
    f = al.mdp.regret(m, spec, [[2 * x for x in row] for row in spec])
    assert (f.verdict, f.method) == (al.Verdict.PROVED, "bounds")
    assert f.figures["regret"] == 0


def _near_tie() -> tuple[al.MDP, list[list[Fraction]], list[list[int]]]:
    m = al.MDP([0], ["a", "b"], {(0, "a"): [(1, 0)], (0, "b"): [(1, 0)]}, 0)
    return m, [[Fraction(10), 10 + Fraction(1, 10**30)]], [[1, 0]]


def test_near_ties_are_unknown_to_intervals_and_exact_by_default() -> None:
    m, spec, intent = _near_tie()
    f = al.mdp.regret(m, spec, intent, exact=False)
    assert f.verdict is al.Verdict.UNKNOWN and "near-ties" in f.reason
    exact = al.mdp.regret(m, spec, intent)
    assert (exact.verdict, exact.figures["regret"]) == (al.Verdict.VIOLATED, 10)


def test_intervals_need_a_discount() -> None:
    m = al.MDP([0, 1], ["a"], {(0, "a"): [(1, 1)]}, 0, gamma=1, terminal=[1])
    with pytest.raises(al.OptionError, match="gamma < 1"):
        al.mdp.regret(m, [0, 0], [0, 0], exact=False)


@st.composite
def _layered(draw: st.DrawFn) -> tuple[al.MDP, list[list[int]]]:
    """A model with a step counter: layers 0..k, moves to the next layer or stays (a
    self-loop), terminal last layer; small integer rewards so ties are common."""
    width, depth = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    states = [(t, i) for t in range(depth + 1) for i in range(width)]
    table = {}
    for t in range(depth):
        for i in range(width):
            for a in range(2):
                stay = draw(st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(1, 3)]))
                j = draw(st.integers(0, width - 1))
                out = [(1 - stay, (t + 1, j))]
                if stay:
                    out.append((stay, (t, i)))
                table[((t, i), a)] = out
    gamma = draw(st.sampled_from([Fraction(1), Fraction(9, 10)]))
    last = [(depth, i) for i in range(width)]
    m = al.MDP(states, range(2), table, (0, 0), gamma=gamma, terminal=last)
    # terminal states earn nothing (as in every expected-reward table)
    rewards = [[draw(st.integers(-1, 1)) if s[0] < depth else 0 for _ in range(2)] for s in states]
    return m, rewards


@settings(max_examples=60, deadline=None)
@given(_layered())
def test_backward_induction_matches_policy_iteration(case: tuple[al.MDP, list[list[int]]]) -> None:
    from alignspec.mdp import returns

    m, rewards = case
    table = [[Fraction(x) for x in row] for row in rewards]
    assert backward.acyclic_order(m) is not None
    fast = returns.optimal_ties(m, table)
    with (
        mock.patch.object(returns, "optimal_backward", return_value=None),
        mock.patch.object(returns, "values_backward", return_value=None),
    ):
        slow = returns.optimal_ties(m, table)
        for sense in ("max", "min"):
            want = returns.optimal(m, table, sense=sense)[1]
            assert backward.optimal_backward(m, table, sense, [[0, 1]] * m.n_states)[1] == want
        policy = [[(0, Fraction(1, 3)), (1, Fraction(2, 3))]] * m.n_states
        assert backward.values_backward(m, policy, table) == returns.values(m, policy, table)
    assert fast[1] == slow[1]  # optimal values
    assert fast[2] == slow[2]  # every optimal action, exactly


def test_float_evaluation_of_a_large_model_stays_sparse() -> None:
    # 60,000 states: the dense (S, S) system of the old float path needed 29 GB
    n = 60_000
    table = {(s, "go"): [(1, min(s + 1, n - 1))] for s in range(n)}
    m = al.MDP(range(n), ["go"], table, 0, gamma=Fraction(9, 10))
    value = al.mdp.evaluate(m, ["go"] * n, [1] * n)
    assert isinstance(value, float) and abs(value - 10) < 1e-8


def test_backward_induction_declines_a_model_where_an_action_stays_forever() -> None:
    # gamma = 1 and a self-loop of probability 1 outside the terminal states: no return exists
    # for a policy that stays, so the one-pass method must not answer (policy iteration does)
    table = {(0, "stay"): [(1, 0)], (0, "go"): [(1, 1)]}
    m = al.MDP([0, 1], ["stay", "go"], table, 0, gamma=1, terminal=[1])
    r = [[Fraction(0), Fraction(1)], [Fraction(0), Fraction(0)]]
    assert backward.optimal_backward(m, r, "max", [[0, 1], [0, 1]]) is None
    # the same self-loop on a discounted model is fine: V = 1 / (1 - 9/10) * r on staying
    m2 = al.MDP([0, 1], ["stay", "go"], table, 0, gamma=Fraction(9, 10), terminal=[1])
    r2 = [[Fraction(1), Fraction(3)], [Fraction(0), Fraction(0)]]
    choice, values, ties = backward.optimal_backward(m2, r2, "max", [[0, 1], [0, 1]])
    assert values[0] == 10 and choice[0] == 0 and ties[0] == [0]


def test_building_past_the_memory_left_is_a_typed_error_naming_the_size(monkeypatch):
    """Issue 12: a big from_step model died in a 1.37 TiB numpy allocation; now the
    build stops with ModelTooLargeError, naming how far it got, while memory is left."""
    import alignspec.mdp.memory as memory

    monkeypatch.setattr(memory, "EVERY", 1000)
    monkeypatch.setattr("alignspec.mdp.model.EVERY", 1000)
    left = iter([10**12, 10**12, 10**6] + [10**6] * 100)
    monkeypatch.setattr(memory, "available_bytes", lambda: next(left))

    def step(s, a):
        return [(1, s + 1)]

    with pytest.raises(al.ModelTooLargeError, match=r"after 3,000 states \(1 MiB left\)"):
        al.MDP.from_step(0, ["go"], step, limit=10**6)
    monkeypatch.setattr(memory, "available_bytes", lambda: None)  # unknown: never objects
    assert al.MDP.from_step(0, ["go"], lambda s, a: [(1, min(s + 1, 2500))]).n_states == 2501


def test_wall_clock_budget_bounds_exact_mdp_work():
    """Issue 12: MDP checks ignored --timeout (no solver to interrupt).  Exact regret on a
    random 1,500-state model takes about a minute here; with Budget(timeout=1) it stops
    within about a second (FLINT's uninterruptible dense solve is skipped when it would
    not fit; sparse elimination checks the clock every step)."""
    import time

    rng = random.Random(0)
    n = 1500
    P = {
        (s, a): [(Fraction(1, 2), rng.randrange(n)), (Fraction(1, 2), rng.randrange(n))]
        for s in range(n)
        for a in range(3)
    }
    m = al.MDP(range(n), range(3), P, 0, gamma=Fraction(9, 10))
    rs = [[rng.randint(0, 9) for _ in range(3)] for _ in range(n)]
    ri = [[rng.randint(0, 9) for _ in range(3)] for _ in range(n)]
    start = time.monotonic()
    f = mdp.regret(m, rs, ri, exact=True, budget=al.Budget(timeout=1))
    assert f.verdict is al.Verdict.UNKNOWN and f.reason == "timeout after 1.0 s"
    assert time.monotonic() - start < 15
    # the bundle passes its budget to every check, EPIC (O(S^2 A) reward calls) included
    start = time.monotonic()
    spec = al.MDPSpec(m, rs, ri, forbid=[1], checks=("regret", "hackable", "equivalent"))
    report = spec.check(budget=al.Budget(timeout=1))
    assert time.monotonic() - start < 30  # EPIC alone took 19 s here unbounded
    assert "EPIC distance not computed: timeout after 1.0 s" in report["equivalent"].message


def test_deadline_ticks_only_inside_a_limited_block():
    import time

    from alignspec.checking.deadline import OutOfTime, remaining, tick, within

    tick()  # no enclosing limit: never raises
    assert remaining() is None
    with within(al.Budget(timeout=0.01)):
        assert 0 < remaining() <= 0.01
        time.sleep(0.02)
        with pytest.raises(OutOfTime, match="timeout after 0.01 s"):
            tick()
    tick()
    with within(None), within(al.Budget()):
        tick()

"""MDPs: exact evaluation, regret, hackability, shaping equivalence, EPIC, forbidden states."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alignspec as al
from alignspec.loader import load
from alignspec.mdp import epic, equivalent, evaluate, forbidden, hackable, regret

P, V, U = al.Verdict.PROVED, al.Verdict.VIOLATED, al.Verdict.UNKNOWN
TARGETS = {t.name: t for t in load(["specs"])}
BOAT = TARGETS["boat-race"]
SHAPED = TARGETS["potential-shaping"]


def chain():
    """0 -> 1 -> 2 (terminal) with 'go' (prob 1/2 to advance), 'stay' loops."""

    def step(s, a):
        return [(1, s)] if a == "stay" else [(Fraction(1, 2), s + 1), (Fraction(1, 2), s)]

    return al.MDP.from_step(
        0, ["stay", "go"], step, gamma=Fraction(9, 10), terminal=lambda s: s == 2
    )


def test_exact_policy_evaluation_matches_the_closed_form():
    mdp = chain()
    goal = lambda s, a, s2: 1 if s2 == 2 else 0  # noqa: E731
    # V1 = 1/2 (1) + 1/2 * 9/10 V1  =>  V1 = 10/11;  V0 = 1/2 * 9/10 V1 + 1/2 * 9/10 V0
    assert evaluate(mdp, {0: "go", 1: "go"}, goal) == Fraction(90, 121)
    assert evaluate(mdp, {0: "stay", 1: "go"}, goal) == 0
    assert evaluate(
        mdp, {0: {"go": Fraction(1, 2), "stay": Fraction(1, 2)}, 1: "go"}, goal
    ) == Fraction(90, 143)  # V0 = 9/10 (3/4 V0 + 1/4 V1)  =>  V0 = 9/13 * 10/11


def test_model_errors():
    with pytest.raises(al.SpecError, match="sum to 3/2"):
        al.MDP([0], ["a"], {(0, "a"): [(1, 0), (Fraction(1, 2), 0)]}, 0)
    with pytest.raises(al.SpecError, match="not a state"):
        al.MDP([0], ["a"], {(0, "a"): [(1, 7)]}, 0)
    with pytest.raises(al.OptionError, match="terminal"):
        al.MDP([0], ["a"], {(0, "a"): [(1, 0)]}, 0, gamma=1)
    with pytest.raises(al.SpecError, match="more than 10 reachable states"):
        al.MDP.from_step(0, ["up"], lambda s, a: [(1, s + 1)], limit=10)
    with pytest.raises(al.SpecError, match="shape"):
        regret(BOAT.mdp, np.zeros((3, 3)), BOAT.intended)


def test_episodic_improper_policy_is_an_error():
    mdp = al.MDP.from_step(
        0,
        ["stay", "go"],
        lambda s, a: [(1, s if a == "stay" else 1)],
        gamma=1,
        terminal=lambda s: s == 1,
    )
    assert evaluate(mdp, {0: "go"}, lambda s, a, s2: 5) == 5
    with pytest.raises(al.SpecError, match="never reaches a terminal state"):
        evaluate(mdp, {0: "stay"}, lambda s, a, s2: 1)


def test_boat_race_regret_is_exact():
    f = regret(BOAT.mdp, BOAT.specified, BOAT.intended)
    assert f.verdict is V
    assert f.figures["regret"] == Fraction(162, 19) and f.figures["intended_optimum"] == 10
    assert [step["next"] for step in f.trace[:5]] == ["1", "2", "1", "2", "1"]
    assert f.trace[2]["action"] == "backward"
    assert f.witness["policy"]["2"] == "backward"


def test_hackable_optimal_pair_and_occupancy_path():
    f = hackable(BOAT.mdp, BOAT.specified, BOAT.intended)
    assert f.verdict is V and f.method == "exact"
    assert f.values["pi"]["specified"] < f.values["pi_prime"]["specified"]
    assert f.values["pi"]["intended"] > f.values["pi_prime"]["intended"]
    # one state, three actions: both rewards prefer "a", but order "b" and "c" oppositely,
    # so only the occupancy-measure search (not the optimal pair) can find the hack
    bandit = al.MDP(
        [0], ["a", "b", "c"], {(0, x): [(1, 0)] for x in "abc"}, 0, gamma=Fraction(1, 2)
    )
    spec = lambda s, a, s2: {"a": 3, "b": 2, "c": 1}[a]  # noqa: E731
    intent = lambda s, a, s2: {"a": 3, "b": 1, "c": 2}[a]  # noqa: E731
    f = hackable(bandit, spec, intent)  # found by the LP, re-evaluated exactly
    assert f.verdict is V and f.method == "exact"
    assert f.values["pi"]["specified"] < f.values["pi_prime"]["specified"]
    assert f.values["pi"]["intended"] > f.values["pi_prime"]["intended"]
    assert hackable(bandit, spec, spec).verdict is P


def test_hackable_exact_occupancy_query_when_the_lp_finds_nothing(monkeypatch):
    import alignspec.mdp._hackable as checks

    monkeypatch.setattr(checks, "_lp_pair", lambda *args: None)
    bandit = al.MDP(
        [0], ["a", "b", "c"], {(0, x): [(1, 0)] for x in "abc"}, 0, gamma=Fraction(1, 2)
    )
    spec = lambda s, a, s2: {"a": 3, "b": 2, "c": 1}[a]  # noqa: E731
    intent = lambda s, a, s2: {"a": 3, "b": 1, "c": 2}[a]  # noqa: E731
    f = hackable(bandit, spec, intent)
    assert f.verdict is V and f.method == "smt"
    assert f.smt2.startswith("(set-logic QF_LRA)")


def test_unhackable_proofs_name_the_relation():
    mdp = SHAPED.mdp
    f = hackable(mdp, SHAPED.intended, SHAPED.specified)
    assert f.verdict is P and "1 times the specified return plus a constant" in f.message
    flat = hackable(BOAT.mdp, lambda s, a, s2: 0, BOAT.intended)
    assert flat.verdict is P and "same return" in flat.message


def test_hackable_among_given_policies():
    mdp, spec, intent = BOAT.mdp, BOAT.specified, BOAT.intended
    lap = {s: "forward" for s in mdp.states}
    dither = {**lap, 2: "backward"}
    assert hackable(mdp, spec, intent, policies=[lap, dither]).verdict is V
    assert hackable(mdp, spec, intent, policies=[lap]).verdict is P


def test_shaping_is_equivalent_with_the_exact_potential():
    mdp = SHAPED.mdp
    f = equivalent(mdp, SHAPED.intended, SHAPED.specified)
    assert f.verdict is P and f.figures == {"scale": 1}
    assert f.values["potential"] == {str(c): Fraction(c - 5) for c in range(6)}
    assert hackable(mdp, SHAPED.intended, SHAPED.specified).verdict is P
    assert regret(mdp, SHAPED.specified, SHAPED.intended).verdict is P


def test_not_equivalent_gives_a_preference_witness():
    f = equivalent(BOAT.mdp, BOAT.intended, BOAT.specified)
    assert f.verdict is V and "not a positive multiple" in f.message
    assert f.values["pi"]["intended"] != f.values["pi_prime"]["intended"]


def test_epic_zero_for_shaping_and_positive_otherwise():
    zero = epic(SHAPED.mdp, SHAPED.intended, SHAPED.specified)
    assert zero.verdict is P and zero.method == "exact"
    assert zero.figures["epic_distance"] == 0 and zero.figures["epic_rho_squared"] == 1
    boat = epic(BOAT.mdp, BOAT.intended, BOAT.specified)
    assert boat.verdict is V and boat.figures["epic_rho_squared"] == Fraction(1, 7)
    first, second = boat.witness["first"], boat.witness["second"]  # no positive ratio fits
    if first == second:  # opposite signs at one transition
        assert first["intended"] * first["specified"] < 0
    else:
        assert first["intended"] * second["specified"] != second["intended"] * first["specified"]
    approx = epic(BOAT.mdp, BOAT.intended, BOAT.specified, exact=False)
    assert approx.verdict is U and "floating-point EPIC decides nothing" in approx.reason
    assert abs(approx.figures["epic_distance"] - boat.figures["epic_distance"]) < 1e-12
    scaled = epic(BOAT.mdp, BOAT.intended, lambda s, a, s2: 3 * BOAT.intended(s, a, s2))
    assert scaled.verdict is P
    with pytest.warns(DeprecationWarning, match="epic_distance"):
        assert boat.distance == boat.figures["epic_distance"]


def test_forbidden_states():
    tomato = TARGETS["tomato-watering"]
    f = forbidden(tomato.mdp, tomato.specified, tomato.forbid)
    assert f.verdict is V and f.witness["path"]["0"] == "(2, False, False)"
    g = forbidden(tomato.mdp, tomato.intended, tomato.forbid)
    assert g.verdict is P


def test_bundled_mdp_specs_meet_their_expectations():
    for name in (
        "boat-race",
        "tomato-watering",
        "potential-shaping",
        "boat-race-bmc",
        "frozenlake-slippery",
    ):
        report = al.check(TARGETS[name])
        assert report.meets_expectation, name


def test_sympy_rewards_over_state_features():
    cells = al.Space(cell=al.Int(0, 3))
    c = cells.vars.cell

    def move(state, action):
        (cell,) = state
        return [(1, (min(3, cell + 1),) if action == "right" else (max(0, cell - 1),))]

    m = al.MDP.from_step((0,), ["left", "right"], move, gamma=Fraction(1, 2), space=cells)
    moves = al.Actions("left", "right")
    reward = c + moves.per_action({"left": 0, "right": 1})  # position, plus 1 for moving right
    assert evaluate(m, {s: "right" for s in m.states}, reward) == Fraction(
        1 + 2 * Fraction(1, 2) + 3 * Fraction(1, 4) + 4 * Fraction(1, 8) / (1 - Fraction(1, 2))
    )


def test_float_evaluation_agrees_with_exact():
    mdp, spec = BOAT.mdp, BOAT.specified
    policy = {s: "forward" for s in mdp.states}
    exact = evaluate(mdp, policy, spec)
    assert isinstance(exact, Fraction)
    approx = evaluate(mdp, policy, spec, exact=False)
    assert isinstance(approx, float) and abs(approx - float(exact)) < 1e-12


def test_user_code_errors_are_typed_and_located():
    def broken_step(s, a):
        raise KeyError("boom")

    with pytest.raises(al.SpecError, match="step raised KeyError: 'boom' at state 0"):
        al.MDP.from_step(0, ["a"], broken_step)
    with pytest.raises(al.SpecError, match=r"specified reward raised ZeroDivisionError"):
        regret(BOAT.mdp, lambda s, a, s2: 1 / 0, BOAT.intended)


def test_forbidden_considers_every_optimal_policy():
    # both actions are optimal (everything pays 0), but one of them enters the forbidden state
    m = al.MDP(
        [0, 1],
        ["safe", "risky"],
        {
            (0, "safe"): [(1, 0)],
            (0, "risky"): [(1, 1)],
            (1, "safe"): [(1, 1)],
            (1, "risky"): [(1, 1)],
        },
        0,
        gamma=Fraction(1, 2),
    )
    f = forbidden(m, lambda s, a, s2: 0, [1])
    assert f.verdict is V and "0 -risky-> 1" in f.message
    assert f.witness["path"] == {"0": "0", "1": "1"}
    paid = lambda s, a, s2: 1 if a == "safe" and s == 0 else 0  # noqa: E731
    assert forbidden(m, paid, [1]).verdict is P


@settings(max_examples=15, deadline=None)
@given(st.integers(48, 70), st.integers(0, 2**32 - 1))
def test_flint_and_sparse_elimination_agree_exactly(n, seed):
    pytest.importorskip("flint")
    from alignspec.mdp import linalg

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):  # I - gamma * P for a random 3-successor chain: never singular
        row = {i: Fraction(1)}
        for j in rng.choice(n, size=3, replace=False):
            row[int(j)] = row.get(int(j), Fraction(0)) - Fraction(9, 10) * Fraction(1, 3)
        rows.append({k: v for k, v in row.items() if v})
    nums, dens = rng.integers(-5, 5, n), rng.integers(1, 7, n)
    rhs = [Fraction(int(x), int(d)) for x, d in zip(nums, dens, strict=True)]
    fast = linalg.solve(rows, rhs)
    assert fast == linalg._solve_sparse(rows, rhs)
    assert all(
        sum((w * fast[j] for j, w in row.items()), Fraction(0)) == b
        for row, b in zip(rows, rhs, strict=True)
    )
    singular = [dict(r) for r in rows]
    singular[1] = dict(singular[0])
    with pytest.raises(linalg.SingularSystem):
        linalg.solve(singular, rhs)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_back_substitution_on_acyclic_systems_matches_elimination(n, seed):
    from alignspec.mdp import linalg

    rng = np.random.default_rng(seed)
    order = rng.permutation(n)  # unknown order[k] depends only on order[k + 1 :]
    rows = []
    for k in range(n):
        i = int(order[k])
        row = {i: Fraction(int(rng.integers(1, 5)), 4)}
        later = order[k + 1 :]
        for j in rng.choice(later, size=min(2, len(later)), replace=False) if len(later) else []:
            row[int(j)] = Fraction(int(rng.integers(-3, 3)), 5)
        rows.append((i, {c: v for c, v in row.items() if v}))
    rows_by_index = [r for _, r in sorted(rows, key=lambda t: t[0])]
    rhs = [Fraction(int(v)) for v in rng.integers(-5, 5, n)]
    fast = linalg._solve_acyclic(rows_by_index, rhs)
    assert fast is not None and fast == linalg._solve_sparse(rows_by_index, rhs)
    cyclic = [dict(r) for r in rows_by_index]
    if n > 1:  # close a cycle: back substitution must step aside, not guess
        a, b = int(order[0]), int(order[-1])
        cyclic[a][b], cyclic[b][a] = Fraction(1, 3), Fraction(1, 7)
        assert linalg._solve_acyclic(cyclic, rhs) is None


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 12), st.integers(1, 4), st.integers(0, 2**32 - 1), st.booleans())
def test_optimal_is_exactly_optimal_although_floats_screen_the_rivals(n, m, seed, near_ties):
    from alignspec.mdp.returns import optimal, q_values

    rng = np.random.default_rng(seed)
    trans = {}
    for s in range(n):
        for a in range(m):
            succ = rng.choice(n, size=min(2, n), replace=False)
            trans[(s, a)] = [(Fraction(1, len(succ)), int(t)) for t in succ]
    mdp = al.MDP(range(n), range(m), trans, 0, gamma=Fraction(9, 10))
    # near ties: rewards that differ by far less than a float can see
    tiny = Fraction(1, 10**30) if near_ties else Fraction(1)
    r = [[Fraction(int(x)) * tiny + 1 for x in row] for row in rng.integers(0, 3, (n, m))]
    for sense in ("max", "min"):
        choice, v = optimal(mdp, r, sense=sense)
        for s in range(n):
            q = q_values(mdp, r, v, s)
            assert q[choice[s]] == v[s]
            assert all((qa <= v[s]) if sense == "max" else (qa >= v[s]) for qa in q)

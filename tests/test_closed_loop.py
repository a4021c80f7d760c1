"""Closed-loop safety beyond ten steps (issue 14): exact tree choices over affine sets,
inductive invariants (found, checked, rejected), planted unsafe controllers."""

from __future__ import annotations

import random
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import alignspec as al
from alignspec.loader import load
from alignspec.mdp import Invariant, bmc, inductive
from alignspec.policy.regions import tree_actions
from alignspec.policy.tree import Leaf, Split
from alignspec.symbolic.evaluate import value_of

P, V, U = al.Verdict.PROVED, al.Verdict.VIOLATED, al.Verdict.UNKNOWN
TARGETS = {t.name: t for t in load(["specs/double_integrator.py"])}
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "specs"))
FOREVER = TARGETS["double-integrator-nn-forever"]
SYSTEM = FOREVER.system
BUDGET = al.Budget(rlimit=50_000_000, timeout=60)


@pytest.fixture(scope="module")
def proved() -> al.Finding:
    return al.check(FOREVER)["bmc"]


def step(system: al.TransitionSystem, policy: al.Policy, state: dict) -> dict:
    acted = policy.with_action(state)
    return {n: value_of(system.update[n], system.domain.variables, acted) for n in state}


def test_a_learned_controller_is_proved_safe_forever(proved: al.Finding) -> None:
    assert proved.verdict is P and proved.method == "invariant"
    assert "every horizon" in proved.message and "double-integrator" in proved.message
    inv = Invariant.from_finding(proved)
    assert inv.names == ("p", "v")
    # the start set's corners are inside; the invariant lies in the declared bounds
    for p in (Fraction(5, 2), Fraction(3)):
        for v in (Fraction(-1, 4), Fraction(1, 4)):
            assert inv.contains({"p": p, "v": v})
    box = inv.box()
    assert box is not None and box[0][0] >= -1 and box[0][1] <= 4


def test_the_invariant_is_closed_under_exact_steps(proved: al.Finding) -> None:
    """Sampled states of the invariant step (exactly) into it, and trajectories of 300
    exact steps from the start set never leave it: the proof's claim, checked directly."""
    inv = Invariant.from_finding(proved)
    box = inv.box()
    assert box is not None
    rng = random.Random(1)
    inside = 0
    for _ in range(400):
        s = {
            n: Fraction(rng.uniform(float(lo), float(hi)))
            for n, (lo, hi) in zip("pv", box, strict=True)
        }
        s = {k: Fraction(float(x)).limit_denominator(10**6) for k, x in s.items()}
        if inv.contains(s):
            inside += 1
            assert inv.contains(step(SYSTEM, FOREVER.policy, s))
    assert inside > 50
    s = {"p": Fraction(3), "v": Fraction(1, 4)}
    for _ in range(60):
        s = {k: Fraction(float(x)).limit_denominator(10**9) for k, x in s.items()}
        nxt = step(SYSTEM, FOREVER.policy, s)
        assert inv.contains(nxt)
        s = nxt


def test_the_certificate_is_rechecked_by_z3_and_cvc5(proved: al.Finding) -> None:
    from alignspec.solver.portable import cvc5_answer, z3_answer

    text = proved.smt2
    assert text is not None and text.startswith("(set-logic ")
    assert z3_answer(text) == "unsat"
    assert cvc5_answer(text) == "unsat"


def test_a_proved_invariant_is_confirmed_by_inductive(proved: al.Finding) -> None:
    inv = Invariant.from_finding(proved)
    f = inductive(SYSTEM, FOREVER.policy, inv, budget=BUDGET)
    assert f.verdict is P and f.method == "invariant"


@pytest.mark.parametrize("row", range(8))
def test_an_invariant_cutting_off_a_start_state_is_rejected(proved: al.Finding, row: int) -> None:
    """Mutants: move any one constraint of the proved invariant just inside the start set's
    extreme in its direction; it must be refused with an exact start state outside."""
    inv = Invariant.from_finding(proved)
    corners = [
        {"p": p, "v": v} for p in (Fraction(5, 2), 3) for v in (Fraction(-1, 4), Fraction(1, 4))
    ]
    reach = max(sum(a * c[n] for a, n in zip(inv.rows[row], "pv", strict=True)) for c in corners)
    bounds = list(inv.bounds)
    bounds[row] = reach - Fraction(1, 64)
    cut = Invariant(inv.names, inv.rows, bounds)
    f = inductive(SYSTEM, FOREVER.policy, cut, budget=BUDGET)
    assert f.verdict is V, f.message
    replays(cut, f)


def replays(inv: Invariant, f: al.Finding) -> None:
    """A refusal's witness holds exactly: its successor is the exact step, and either ``s``
    is a start state outside, or ``s`` is inside and ``t`` outside, or ``s`` is unsafe."""
    s = f.witness["s"]
    if "outside the declared bounds" in f.message:
        assert inv.contains(s) and not (-1 <= s["p"] <= 4 and -2 <= s["v"] <= 2)
        return
    t = f.witness["t"]
    assert step(SYSTEM, FOREVER.policy, {"p": s["p"], "v": s["v"]}) == t
    if "start state" in f.message:
        assert not inv.contains(s) and 5 / 2 <= s["p"] <= 3 and abs(s["v"]) <= Fraction(1, 4)
    elif "steps out" in f.message:
        assert inv.contains(s) and not inv.contains(t)
    else:
        assert "unsafe" in f.message and inv.contains(s)
        assert not (-1 <= s["p"] <= 4 and -2 <= s["v"] <= 2 and -1 <= s["u"] <= 1)


def test_a_box_that_is_not_inductive_is_rejected() -> None:
    # the start box itself: the controller moves p below 2.5 at once
    start_box = Invariant(
        ("p", "v"),
        [(1, 0), (-1, 0), (0, 1), (0, -1)],
        [3, Fraction(-5, 2), Fraction(1, 4), Fraction(1, 4)],
    )
    f = inductive(SYSTEM, FOREVER.policy, start_box, budget=BUDGET)
    assert f.verdict is V and "steps out" in f.message
    replays(start_box, f)


def test_an_invariant_poking_out_of_the_safe_set_is_rejected() -> None:
    big = Invariant(("p", "v"), [(1, 0), (-1, 0), (0, 1), (0, -1)], [5, 2, 2, 2])
    f = inductive(SYSTEM, FOREVER.policy, big, budget=BUDGET)
    assert f.verdict is V and "unsafe" in f.message
    replays(big, f)


def test_a_planted_unsafe_controller_is_found_and_replays_exactly() -> None:
    f = al.check(TARGETS["double-integrator-weak-brakes"])["bmc"]
    assert f.verdict is V
    weak = TARGETS["double-integrator-weak-brakes"].policy
    steps = sorted(f.witness, key=lambda r: int(r[1:]))
    state = {n: f.witness[steps[0]][n] for n in ("p", "v")}
    for role in steps[1:]:
        state = step(SYSTEM, weak, state)
        assert state == {n: f.witness[role][n] for n in ("p", "v")}
    assert not (-1 <= state["p"] <= 4 and -2 <= state["v"] <= 2)


def test_bounded_horizons_agree_with_the_unbounded_proof() -> None:
    for h in (10, 500):
        f = bmc(SYSTEM, horizon=h, policy=FOREVER.policy, budget=BUDGET)
        assert f.verdict is P and f.method == "invariant" and f"the {h} steps" in f.message


def test_unbounded_questions_refuse_what_they_cannot_answer() -> None:
    with pytest.raises(al.OptionError, match="policy"):
        bmc(SYSTEM, horizon=None)
    with pytest.raises(al.OptionError, match="finite horizon"):
        bmc(SYSTEM, sp.Integer(1), horizon=None, policy=FOREVER.policy, reach=3)
    with pytest.raises(al.OptionError, match="whole number"):
        bmc(SYSTEM, horizon=0, policy=FOREVER.policy)
    with pytest.raises(al.SpecError, match="invariant is over"):
        inductive(SYSTEM, FOREVER.policy, Invariant(("v", "p"), [(1, 0)], [1]))
    with pytest.raises(al.SpecError, match="both sides"):
        inductive(SYSTEM, FOREVER.policy, Invariant(("p", "v"), [(1, 0)], [1]))
    with pytest.raises(al.SpecError, match="no invariant"):
        Invariant.from_finding(al.Finding("bmc", P, "proved by boxes"))


def test_a_system_outside_the_method_is_unknown_with_a_reason() -> None:
    line = al.Space(x=al.Real(-1, 1))
    push = al.Actions("stay", "halve")
    x = line.vars.x
    squaring = al.TransitionSystem.deterministic(
        line, push, sp.And(x >= 0, x <= Fraction(1, 2)), {"x": x * x}
    )
    f = bmc(squaring, horizon=None, policy=al.ExprPolicy(line, push, [], default="stay"))
    assert f.verdict is U and "piecewise-affine" in (f.reason or "")


# -- exact tree choices over affine images (the core of the tree's reachable sets) --

LINE = al.Space(a=al.Real(-100, 100), b=al.Real(-100, 100))
TWO = al.Actions("left", "right")


@st.composite
def trees(draw: st.DrawFn, depth: int = 3) -> Split | Leaf:
    if depth == 0 or draw(st.booleans()):
        return Leaf(draw(st.sampled_from(["left", "right"])))
    t = Fraction(draw(st.integers(-8, 8)), 4)
    return Split(
        draw(st.sampled_from(["a", "b"])),
        t,
        draw(trees(depth - 1)),
        draw(trees(depth - 1)),
        draw(st.booleans()),
    )


small = st.integers(-6, 6).map(lambda k: Fraction(k, 3))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    root=trees(),
    matrix=st.lists(st.lists(small, min_size=2, max_size=2), min_size=2, max_size=2),
    offset=st.lists(small, min_size=2, max_size=2),
    corner=st.lists(small, min_size=2, max_size=2),
    width=st.lists(st.integers(0, 4).map(lambda k: Fraction(k, 2)), min_size=2, max_size=2),
    picks=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), min_size=1, max_size=12),
)
def test_tree_actions_contain_the_action_of_every_point_of_the_set(
    root, matrix, offset, corner, width, picks
) -> None:
    """Differential against brute force: the action at A s0 + c for grid points s0 of the
    box (corners included) is always among the possible actions."""
    policy = al.TreePolicy(LINE, TWO, root)
    box = [(c, c + w) for c, w in zip(corner, width, strict=True)]
    possible = tree_actions(policy, matrix, offset, box)
    for i, j in [(0, 0), (8, 8), (0, 8), (8, 0), *picks]:
        s0 = [box[0][0] + width[0] * i / 8, box[1][0] + width[1] * j / 8]
        s = [
            sum(m * x for m, x in zip(row, s0, strict=True)) + c
            for row, c in zip(matrix, offset, strict=True)
        ]
        assert policy.act({"a": s[0], "b": s[1]}) in possible


@pytest.mark.parametrize("threshold", [Fraction(-1), Fraction(0), Fraction(1, 2)])
@pytest.mark.parametrize("limit", [Fraction(3), Fraction(5, 8)])
@pytest.mark.parametrize("horizon", [8, None])
def test_tree_closed_loop_proofs_hold_on_every_simulated_trajectory(
    threshold: Fraction, limit: Fraction, horizon: int | None
) -> None:
    """A tree steering a damped 2-D system: whenever bmc proves safety (8 steps, or every
    horizon), exact simulations from the start box's corners and 20 sampled points stay
    safe (100 steps for every horizon; a wrong PROVED would show here), and a violation it
    reports replays exactly on the dynamics."""
    space = al.Space(a=al.Real(-limit, limit), b=al.Real(-limit, limit))
    a, b = space.vars.a, space.vars.b
    force = TWO.per_action({"left": -1, "right": 1})
    half = Fraction(1, 2)
    init = sp.And(a >= -half, a <= half, b >= -half, b <= half)
    system = al.TransitionSystem.deterministic(
        space, TWO, init, {"a": a + b / 4, "b": b / 2 - a / 4 + force / 4}
    )
    tree = al.TreePolicy(space, TWO, Split("a", threshold, Leaf("right"), Leaf("left")))
    f = bmc(system, horizon=horizon, policy=tree, budget=BUDGET)
    assert f.verdict is not U, f.reason
    rng = random.Random(7)
    points = [(x, y) for x in (-half, half) for y in (-half, half)] + [
        (Fraction(rng.randint(-8, 8), 16), Fraction(rng.randint(-8, 8), 16)) for _ in range(20)
    ]
    for x, y in points if f.verdict is P else []:
        s = {"a": x, "b": y}
        for _ in range(horizon or 100):
            s = step(system, tree, s)
            assert -limit <= s["a"] <= limit and -limit <= s["b"] <= limit
            if f.method == "invariant":
                assert Invariant.from_finding(f).contains(s)
    if f.verdict is V:
        roles = sorted(f.witness, key=lambda r: int(r[1:]))
        s = {n: f.witness[roles[0]][n] for n in ("a", "b")}
        for role in roles[1:]:
            s = step(system, tree, s)
            assert s == {n: f.witness[role][n] for n in ("a", "b")}
        assert not (-limit <= s["a"] <= limit and -limit <= s["b"] <= limit)


# -- model error: proofs that cover the true (nonlinear) dynamics --


def test_the_error_bound_holds_at_sampled_points_of_the_true_cartpole() -> None:
    """The enclosure of |true - linearised| (Taylor remainders, mean-value form) is at
    least the difference at 300 sampled states, evaluated to 30 digits."""
    from alignspec.symbolic.enclose import difference_bound

    th, thd = sp.symbols("theta theta_dot")
    g, total, pole, half, tau = (
        sp.Rational(49, 5),
        sp.Rational(11, 10),
        sp.Rational(1, 10),
        sp.Rational(1, 2),
        sp.Rational(1, 50),
    )
    temp = (10 + pole * half * thd**2 * sp.sin(th)) / total
    true = (
        tau
        * (g * sp.sin(th) - sp.cos(th) * temp)
        / (half * (sp.Rational(4, 3) - pole * sp.cos(th) ** 2 / total))
    )
    model = tau * (g * th - 10 / total) / (half * (sp.Rational(4, 3) - pole / total))
    box = {"theta": (Fraction(-1, 10), Fraction(1, 10)), "theta_dot": (Fraction(-1), Fraction(1))}
    bound = difference_bound(true, model, box, pieces=4)
    assert 0 < bound < Fraction(1, 100)
    rng = random.Random(3)
    worst = 0.0
    for _ in range(300):
        point = {
            th: sp.Rational(rng.randint(-100, 100), 1000),
            thd: sp.Rational(rng.randint(-1000, 1000), 1000),
        }
        worst = max(worst, abs(float(sp.N((true - model).subs(point), 30))))
    assert worst <= bound and worst > bound / 20  # sound, and not absurdly loose


@pytest.mark.parametrize("eps", [Fraction(1, 200), Fraction(1, 5)])
def test_a_proof_with_a_model_error_covers_perturbed_trajectories(eps: Fraction) -> None:
    """Every dynamics within eps of the update: when bmc proves it, exact trajectories
    with random (and worst-sign) per-step errors within eps stay safe and in the region."""
    limit = Fraction(3, 2)
    space = al.Space(a=al.Real(-limit, limit), b=al.Real(-limit, limit))
    a, b = space.vars.a, space.vars.b
    force = TWO.per_action({"left": -1, "right": 1})
    half = Fraction(1, 2)
    system = al.TransitionSystem.deterministic(
        space,
        TWO,
        sp.And(a >= -half, a <= half, b >= -half, b <= half),
        {"a": a + b / 4, "b": b / 2 - a / 4 + force / 4},
    )
    tree = al.TreePolicy(space, TWO, Split("a", Fraction(0), Leaf("right"), Leaf("left")))
    region = {"b": (Fraction(-7, 5), Fraction(7, 5))}
    error = al.mdp.ModelError({"a": eps, "b": eps}, region, about="a perturbed system")
    f = bmc(system, horizon=8, policy=tree, error=error, budget=BUDGET)
    if eps == Fraction(1, 200):
        assert f.verdict is P and "covers a perturbed system" in f.message
    rng = random.Random(11)
    escaped = False
    for trial in range(60):
        s = {"a": Fraction(rng.choice([-1, 1])) / 2, "b": Fraction(rng.choice([-1, 1])) / 2}
        for _ in range(8):
            nxt = step(system, tree, s)
            sign = 1 if trial % 3 == 0 else -1 if trial % 3 == 1 else rng.choice([-1, 1])
            s = {k: v + sign * eps * rng.choice([0, 1]) for k, v in nxt.items()}
            inside = abs(s["a"]) <= limit and abs(s["b"]) <= Fraction(7, 5)
            escaped |= not inside
            if f.verdict is P:
                assert inside, s
            if not inside:
                break
    assert f.verdict is not P or not escaped


def test_a_model_error_is_refused_where_it_cannot_be_honoured() -> None:
    error = al.mdp.ModelError({"p": Fraction(1, 100)})
    f = bmc(SYSTEM, horizon=5, policy=FOREVER.policy, error=error)
    assert f.verdict is U and "decision trees" in (f.reason or "")
    with pytest.raises(al.SpecError, match="not state variables"):
        bmc(SYSTEM, horizon=5, policy=FOREVER.policy, error=al.mdp.ModelError({"q": 1}))
    with pytest.raises(al.SpecError, match=">= 0"):
        al.mdp.ModelError({"p": -1})


@pytest.mark.parametrize(("eps", "proved"), [(Fraction(1, 100), True), (Fraction(1, 40), False)])
def test_a_model_error_that_can_push_a_drift_out_is_not_proved(eps: Fraction, proved: bool) -> None:
    """a' = a + 1/10 from a in [0, 1/10] stays <= 1 for 8 steps (0.9), and within an error
    of 1/100 per step too (0.98), but not within 1/40 (1.1): a wrong PROVED shows here."""
    space = al.Space(a=al.Real(-1, 1))
    a = space.vars.a
    system = al.TransitionSystem.deterministic(
        space, TWO, sp.And(a >= 0, a <= Fraction(1, 10)), {"a": a + Fraction(1, 10)}
    )
    tree = al.TreePolicy(space, TWO, Split("a", Fraction(1, 2), Leaf("left"), Leaf("right")))
    error = al.mdp.ModelError({"a": eps})
    f = bmc(system, horizon=8, policy=tree, error=error, budget=BUDGET)
    assert (f.verdict is P) is proved, f.message
    assert f.verdict is not V  # the update itself is safe


# -- long horizons: grid cells for the core a tree reads, intervals for the rest --


def _cartpole_within(**bounds: Fraction) -> al.TransitionSystem:
    """The bundled linearised cart-pole with some declared bounds changed."""
    import cartpole as C

    variables = dict(C.space.variables)
    for k, b in bounds.items():
        variables[k] = al.Real(-b, b)
    return al.TransitionSystem.deterministic(
        al.Space(**variables), C.push, C.linear_cartpole.init, C.linear_cartpole.update
    )


def _float_worst(horizon: int) -> dict[str, float]:
    """The largest |value| per variable over float simulations of the linearised closed
    loop from the start box's corners and 200 sampled starts."""
    import cartpole as C
    import numpy as np

    from alignspec.neural.reach import _updates
    from alignspec.policy.regions import tree_act_batch

    names = list(C.space.names)
    maps = {
        a: (np.array(u.A, dtype=float), np.array(u.c, dtype=float))
        for a, u in _updates(C.linear_cartpole, names, C.push).items()
    }
    rng = np.random.default_rng(0)
    corners = np.array([[0.05 * (((k >> d) & 1) * 2 - 1) for d in range(4)] for k in range(16)])
    x = np.vstack([corners, rng.uniform(-0.05, 0.05, (200, 4))])
    worst = np.abs(x).max(axis=0)
    for _ in range(horizon):
        chosen = tree_act_batch(C.tree, x)
        nxt = np.empty_like(x)
        for k, label in enumerate(C.push.labels):
            m, c = maps[label]
            nxt[chosen == k] = x[chosen == k] @ m.T + c
        x = nxt
        worst = np.maximum(worst, np.abs(x).max(axis=0))
    return dict(zip(names, worst.tolist(), strict=True))


def _inside_layers(out: object, horizon: int) -> None:
    """Exact trajectories of the linearised cart-pole from the start corners and sampled
    starts: the core state at step t lies in a cell of layer t (a state on a cell border
    may lie in either neighbour)."""
    import itertools

    import cartpole as C

    widths = out.widths  # type: ignore[attr-defined]
    layers = [{tuple(c) for c in layer.tolist()} for layer in out.layers]  # type: ignore[attr-defined]
    rng = random.Random(2)
    tw = Fraction(1, 20)
    starts = [
        dict(zip(C.space.names, c, strict=True)) for c in itertools.product((-tw, tw), repeat=4)
    ]
    starts += [{k: Fraction(rng.randint(-50, 50), 1000) for k in C.space.names} for _ in range(8)]
    for s in starts:
        for t in range(horizon + 1):
            core = [s["theta"], s["theta_dot"]]
            options = [
                {v // w} | ({v // w - 1} if v % w == 0 else set())
                for v, w in zip(core, widths, strict=True)
            ]
            assert any(tuple(c) in layers[t] for c in itertools.product(*options)), (t, s)
            acted = C.tree.with_action(s)
            s = {
                k: value_of(C.linear_cartpole.update[k], C.linear_cartpole.domain.variables, acted)
                for k in C.space.names
            }
            s = {
                k: v.limit_denominator(10**15) if v.denominator > 10**30 else v
                for k, v in s.items()
            }


def test_core_cells_prove_fifty_cartpole_steps_and_no_tighter_bounds() -> None:
    """The tree reads the pole only: cells for (theta, theta_dot), intervals for the cart.
    PROVED for 50 steps; a bound 1% below what float simulations reach is never proved
    (on theta, a core variable, and x, a driven one)."""
    import cartpole as C

    from alignspec.mdp._cells import cell_reach
    from alignspec.neural.reach import _start, _updates

    f = bmc(C.linear_cartpole, horizon=50, policy=C.tree, budget=BUDGET)
    assert f.verdict is P and "grid cells" in f.message and "['theta', 'theta_dot']" in f.message
    names = list(C.space.names)
    pieces = {a: (u.A, u.c) for a, u in _updates(C.linear_cartpole, names, C.push).items()}
    start = _start(C.linear_cartpole, names)
    out = cell_reach(
        C.linear_cartpole, C.tree, names, pieces, start, 30, BUDGET.start(), keep_layers=True
    )
    assert out is not None and out.status == "proved"
    _inside_layers(out, 30)
    worst = _float_worst(50)
    for var in ("theta", "x"):
        tight = _cartpole_within(**{var: Fraction(worst[var] * 0.99)})
        out = cell_reach(tight, C.tree, names, pieces, start, 50, BUDGET.start())
        assert out is not None and out.status == "unknown", var


def test_start_boxes_split_into_independent_picklable_tasks() -> None:
    """The exact closed loop over pieces of the start box, mapped over an executor (here
    a thread pool; the tasks pickle for processes too): all pieces PROVED as the whole is,
    and a box outside init is refused."""
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    import cartpole as C

    from alignspec.neural.reach import _start, closed_loop, split_start

    names = list(C.space.names)
    pieces = split_start(_start(C.linear_cartpole, names), 4)
    assert len(pieces) == 4
    pickle.dumps((C.linear_cartpole, C.tree, pieces))

    def task(box: tuple) -> str:
        out = closed_loop(C.linear_cartpole, C.tree, 10, [], BUDGET.start(), start_box=box)
        assert out is not None
        return out.status

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(task, pieces)) == ["proved"] * 4
    with pytest.raises(al.SpecError, match="not inside"):
        closed_loop(
            C.linear_cartpole,
            C.tree,
            10,
            [],
            BUDGET.start(),
            start_box=[(Fraction(0), Fraction(1))] * 4,
        )

"""Regression tests for wrong PROVED verdicts, crashes on valid input and untyped errors
(issue 8): each reproduces the report first, then asserts the sound outcome."""

import itertools
import math
import pickle
import subprocess
import sys
import time
import warnings
from fractions import Fraction

import pytest
import sympy as sp

import alignspec as al

V, P, U = al.Verdict.VIOLATED, al.Verdict.PROVED, al.Verdict.UNKNOWN


# --- wrong PROVED verdicts ---------------------------------------------------------------------
def test_network_output_outside_the_action_bounds_is_a_violation():
    S = al.Space(x=al.Int(0, 3))
    A = al.Space(f=al.Real(-2, 2))
    spec = al.Spec(space=S, intent=al.Intent(require=[A.vars.f <= 1]), actions=A)
    net = al.MLPPolicy(S, A, [([[1]], [0])], mode=None)  # f = x: act(x=3) gives f = 3
    f = al.inner.verify(net, spec, S.vars.x >= 3)
    assert f.verdict is V and f.witness == {"s": {"x": 3, "f": 3}}
    assert "leaves the action bounds" in f.message
    # where the output stays inside the bounds the requirement is proved
    assert al.inner.verify(net, spec, S.vars.x <= 1).verdict is P
    # the same hole in oversight and optimality
    W = al.Space(x=al.Int(0, 3), w=al.Bool())
    watched = al.MLPPolicy(W, A, [([[1, 0]], [0])], mode=None)
    assert al.inner.oversight(watched, flag="w").verdict is V
    assert al.inner.optimality(net, A.vars.f, S.vars.x >= 3).verdict is V


def test_a_proof_that_needs_the_output_guard_keeps_no_single_query():
    S = al.Space(x=al.Int(0, 3))
    A = al.Space(f=al.Real(-5, 5))
    spec = al.Spec(space=S, intent=al.Intent(require=[A.vars.f <= 3]), actions=A)
    net = al.MLPPolicy(S, A, [([[2]], [-3])], mode=None)  # f = 2x - 3 in [-3, 3]
    f = al.inner.verify(net, spec)
    assert f.verdict is P and f.query is None  # certificates re-run the check


def test_requirements_with_a_supremum_no_compliant_state_attains():
    S = al.Space(r=al.Real(0, 1))
    v = S.vars
    f = al.outer.requirements(al.Spec(space=S, intent=al.Intent(require=[v.r < 1]), reward=v.r))
    assert f.verdict is V and f.witness["s"] == {"r": 1}
    assert f.figures == {"compliant_reward_optimum": 1}


def test_decision_list_conditions_comparing_a_bool_with_a_number():
    S = al.Space(w=al.Bool())
    v = S.vars
    moves = al.Actions("stop", "go")
    pol = al.ExprPolicy(S, moves, [(sp.Eq(v.w, 1), "go"), (v.w, "stop")], default="go")
    assert pol.act({"w": True}) == "go"
    spec = al.Spec(
        space=S,
        actions=moves,
        intent=al.Intent(require=[sp.Implies(v.w, al.eq(moves.symbol, "stop"))]),
    )
    f = al.inner.verify(pol, spec)
    assert f.verdict is V and f.witness == {"s": {"w": True, "action": "go"}}


def test_users_own_ite_on_a_bool_compared_with_a_number_keeps_its_meaning():
    S = al.Space(w=al.Bool(), x=al.Int(0, 2))
    v = S.vars
    # sympy's ITE would rewrite Eq(w, 1) to false (a boolean never equals 1)
    reward = sp.Piecewise((5, sp.ITE(sp.Eq(v.w, 1), v.x > 0, v.w)), (0, True))
    spec = al.Spec(space=S, reward=reward, intent=al.Intent(-v.x))
    f = al.outer.hacking(spec)
    assert f.verdict is V and f.witness["s"]["w"] is True and f.witness["s"]["x"] > 0


# --- crashes on valid input --------------------------------------------------------------------
def test_states_of_reals_with_bounds_of_any_precision():
    space = al.Space(r=al.Real(0, "0.679857769"), s=al.Real(Fraction(1, 3), Fraction(1, 3)))
    from hypothesis import given, settings

    seen = []

    @settings(max_examples=50, derandomize=True, database=None)
    @given(al.strategies.states(space))
    def inside(state):
        space.check_state(state)
        seen.append(state)

    inside()
    assert seen


def test_table_without_default_when_the_solver_gives_up():
    S = al.Space(x=al.Int(0, 50), y=al.Int(0, 50))
    v = S.vars
    moves = al.Actions("a", "b")
    table = al.TablePolicy(S, moves, {(3, 4): "a", (5, 6): "b"})
    spec = al.Spec(
        space=S,
        actions=moves,
        # nonlinear: z3 gives up under a tiny budget and sampling takes over
        intent=al.Intent(require=[sp.Implies(v.x * v.y * v.x > 70, al.eq(moves.symbol, "a"))]),
    )
    f = al.inner.verify(table, spec, budget=al.Budget(rlimit=1))
    assert f.verdict is V and f.witness["s"] == {"x": 5, "y": 6, "action": "b"}


def test_per_action_values_that_branch_on_the_action():
    S = al.Space(x=al.Real(0, 1))
    m = al.Actions("stop", "go", "wait")
    inner = sp.Piecewise((1, al.eq(m.symbol, "go")), (2, True))
    reward = m.per_action({"stop": S.vars.x, "go": inner, "wait": inner})
    spec = al.Spec(space=S, actions=m, reward=reward, intent=al.Intent(S.vars.x))
    f = al.outer.hacking(spec)
    assert f.verdict is V and f.figures["reward_optimum"] == 2


def test_a_piecewise_requirement_is_a_condition():
    S = al.Space(r=al.Real(0, 1), b=al.Bool())
    v = S.vars
    req = sp.Piecewise((v.r < Fraction(1, 2), v.b), (v.r > Fraction(1, 4), True))
    spec = al.Spec(space=S, intent=al.Intent(require=[req]), reward=v.r + v.b)
    f = al.outer.requirements(spec)
    # compliant optimum: b false, r = 1 (reward 1); b true needs r < 1/2 (reward < 3/2)
    assert f.verdict is V and f.witness["s"]["b"] is True
    assert f.figures == {"compliant_reward_optimum": Fraction(3, 2)}


def test_cli_on_unsatisfiable_assumptions_exits_2_with_the_message(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text(
        "import alignspec as al\n"
        "S = al.Space(x=al.Real(0, 1))\n"
        "spec = al.Spec(space=S, reward=S.vars.x, intent=al.Intent(S.vars.x),\n"
        "               assume=[S.vars.x > 2], name='bad')\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "alignspec", "check", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "assumptions are unsatisfiable" in done.stderr and "x > 2" in done.stderr


def test_errors_that_carry_data_survive_prefixing_and_pickling():
    err = al.UnsatisfiableAssumptionsError("no state", ["a", "b"])
    again = pickle.loads(pickle.dumps(err.prefixed("spec 'x'")))
    assert str(again) == "spec 'x': no state" and again.core == ("a", "b")


# --- untyped errors on bad input ---------------------------------------------------------------
S2 = al.Space(x=al.Real(0, 1), c=al.Choice("a", "b"))
A2 = al.Actions("l", "r")


@pytest.mark.parametrize(
    ("make", "kind", "text"),
    [
        (lambda: al.eq(S2.vars.c, 3), al.UnknownLabelError, "label string"),
        (lambda: al.ne(S2.vars.c, None), al.UnknownLabelError, "label string"),
        (lambda: al.Budget(rlimit="x"), al.OptionError, "rlimit"),
        (lambda: al.Budget(rlimit=-5), al.OptionError, "rlimit"),
        (lambda: al.Budget(timeout=math.nan), al.OptionError, "timeout"),
        (lambda: al.Budget(timeout=-1), al.OptionError, "timeout"),
        (lambda: al.MDP([0], [], {}, 0), al.SpecError, "at least one state and one action"),
        (lambda: al.TablePolicy(S2, A2, {(Fraction(1, 2),): "l"}), al.SpecError, "key"),
        (
            lambda: al.TreePolicy(S2, A2, al.Split("x", math.nan, al.Leaf("l"), al.Leaf("r"))),
            al.SpecError,
            "threshold",
        ),
        (
            lambda: al.TreePolicy(S2, A2, al.Split("x", "abc", al.Leaf("l"), al.Leaf("r"))),
            al.SpecError,
            "threshold",
        ),
        (
            lambda: al.MLPPolicy(al.Space(x=al.Real(0, 1)), A2, [([[math.nan], [1]], [0, 0])]),
            al.SpecError,
            "layer 0 weight [0][0]",
        ),
        (
            lambda: al.MLPPolicy(al.Space(x=al.Real(0, 1)), A2, [([[math.inf], [1]], [0, 0])]),
            al.SpecError,
            "finite",
        ),
        (
            lambda: al.MLPPolicy(al.Space(x=al.Real(0, 1)), A2, [([["w"], [1]], [0, 0])]),
            al.SpecError,
            "not a number",
        ),
        (
            lambda: al.LinearPolicy(al.Space(x=al.Real(0, 1)), A2, [[math.nan], [1]]),
            al.SpecError,
            "weight [0][0]",
        ),
        (
            lambda: al.LinearPolicy(al.Space(x=al.Real(0, 1)), A2, [["w"], [1]]),
            al.SpecError,
            "not a number",
        ),
    ],
)
def test_bad_input_raises_a_typed_error_naming_the_culprit(make, kind, text):
    with pytest.raises(kind) as info:
        make()
    assert text in str(info.value)


def test_mdp_options_are_validated():
    mdp = al.MDP([0, 1], ["a"], {(0, "a"): [(1, 1)], (1, "a"): [(1, 1)]}, 0)

    def reward(s, a, s2):
        return s2

    with pytest.raises(al.OptionError, match="no policies"):
        al.mdp.hackable(mdp, reward, reward, policies=[])
    with pytest.raises(al.OptionError, match="tolerance"):
        al.mdp.regret(mdp, reward, reward, tolerance=-1)


# --- budgets -----------------------------------------------------------------------------------
def test_a_timeout_bounds_the_whole_search_sampling_included():
    from alignspec.engine import search
    from alignspec.solver import Problem

    S = al.Space(**{f"x{i}": al.Int(1, 10**6) for i in range(3)})
    v = S.vars
    # x0^3 + x1^3 = x2^3 has no solution (Fermat): z3 struggles, sampling never hits
    fermat = sp.Eq(v.x0**3 + v.x1**3, v.x2**3).xreplace(
        {s: sp.Symbol(f"s.{s.name}", integer=True) for s in v}
    )
    problem = Problem({"s": S}, (("fermat", fermat),))
    started = time.monotonic()
    out = search(problem, al.Budget(rlimit=None, timeout=1).start(), samples=10**7)
    took = time.monotonic() - started
    assert out.status == "unknown" and "timeout after 1.0 s" in out.reason
    assert took < 2.5  # generous: the machine may be busy


def test_a_timeout_bounds_a_closed_loop_check_with_a_network():
    import numpy as np

    rng = np.random.default_rng(0)
    S = al.Space(**{n: al.Real(-1, 1) for n in ("a", "b", "c", "d")})
    moves = al.Actions("left", "right")
    sizes = [4, 16, 16, 2]
    layers = [(rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in itertools.pairwise(sizes)]
    net = al.MLPPolicy(S, moves, layers)
    v = S.vars
    push = moves.per_action({"left": -1, "right": 1})
    step = {
        n: v[n] + sp.Rational(1, 50) * (v[m] + push) for n, m in zip("abcd", "bcda", strict=True)
    }
    start = sp.And(*[sp.And(x >= -sp.Rational(1, 20), x <= sp.Rational(1, 20)) for x in v])
    system = al.TransitionSystem.deterministic(S, moves, start, step)
    started = time.monotonic()
    f = al.mdp.bmc(system, horizon=40, policy=net, budget=al.Budget(rlimit=None, timeout=2))
    took = time.monotonic() - started
    assert f.verdict is not V
    if f.verdict is U:
        assert "timeout after 2.0 s" in f.reason
    assert took < 10  # a 2 s budget; generous: the machine may be busy (4.9 s seen under load)


def test_a_spent_budget_answers_unknown_at_once():
    budget = al.Budget(timeout=0.001).start()
    time.sleep(0.01)
    assert budget.expired and budget.remaining() == 0
    S = al.Space(x=al.Real(0, 1))
    f = al.outer.inversion(
        al.Spec(space=S, reward=S.vars.x, intent=al.Intent(-S.vars.x)), budget=budget
    )
    assert f.verdict is U and f.reason.startswith("timeout after")


def test_spec_construction_takes_a_budget_and_warns_when_undecided():
    S = al.Space(x=al.Real(-10, 10), y=al.Real(-10, 10), z=al.Real(-10, 10))
    v = S.vars
    hard = sp.Eq(v.x**3 * v.y + v.z**2 * v.x * v.y - 7, 3 * v.z**5 - 1)
    with pytest.warns(al.UndecidedWarning, match="could not decide"):
        spec = al.Spec(
            space=S, reward=v.x, intent=al.Intent(v.y), assume=[hard], budget=al.Budget(rlimit=1)
        )
    assert spec.satisfiable is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        easy = al.Spec(space=S, reward=v.x, intent=al.Intent(v.y), assume=[v.x <= v.y])
    assert easy.satisfiable is True


def test_assumptions_met_at_a_corner_need_no_solver_and_others_still_ask_it(monkeypatch):
    import alignspec.solver as solver

    S = al.Space(x=al.Real(0, 10), n=al.Int(1, 5), b=al.Bool(), m=al.Choice("p", "q"))
    v = S.vars
    asked = []
    real_solve = solver.solve
    monkeypatch.setattr(solver, "solve", lambda *a, **k: asked.append(1) or real_solve(*a, **k))
    corner = al.Spec(space=S, reward=v.x, assume=[v.x + v.n <= 3, ~v.b | (v.x >= 5)])
    assert corner.satisfiable is True and not asked  # x = 0, n = 1, b = False
    inside = al.Spec(space=S, reward=v.x, assume=[sp.Eq(3 * v.x, 1), al.eq(v.m, "q")])
    assert inside.satisfiable is True and len(asked) == 1  # x = 1/3: the solver's answer
    with pytest.raises(al.UnsatisfiableAssumptionsError) as err:
        al.Spec(space=S, reward=v.x, assume=[v.x >= 4, v.x <= 3, v.n >= 1])
    assert len(asked) == 2 and len(err.value.core) == 2  # the core names the two bounds


# --- (N4, found by the differential harness) sympy drops a decided otherwise branch ------------
def test_a_nested_piecewise_whose_otherwise_branch_sympy_dropped_is_checked_exactly():
    S = al.Space(c=al.Choice("p", "q", "r"), x=al.Int(0, 2))
    v = S.vars
    inner = sp.Piecewise((1, al.eq(v.c, "q")), (2 * v.x, al.eq(v.c, "p")), (3, True))
    reward = sp.Piecewise((inner, al.eq(v.c, "p")), (5 - v.x, True))
    assert reward.args[0].expr.args[-1].cond != sp.true  # sympy kept no otherwise branch
    spec = al.Spec(space=S, reward=reward, intent=al.Intent(v.x, require=[al.eq(v.c, "p")]))
    f = al.outer.requirements(spec)
    # brute force: the best compliant reward is 2*2 = 4 (c = p); only x = 0 beats it (5)
    assert f.verdict is V and f.figures["compliant_reward_optimum"] == 4
    assert f.witness["s"]["x"] == 0 and f.witness["s"]["c"] in ("q", "r")


def test_a_piecewise_undefined_somewhere_is_refused_naming_a_state():
    S = al.Space(x=al.Int(0, 3))
    v = S.vars
    gap = sp.Piecewise((sp.Piecewise((1, v.x > 2)), v.x > 1), (0, True))  # x = 2: no branch
    with pytest.raises(al.UnsupportedExpressionError, match="reward: .*undefined at {'x': 2}"):
        al.Spec(space=S, reward=gap, intent=al.Intent(v.x))
    with pytest.raises(al.UnsupportedExpressionError, match=r"require\[0\]: .*undefined at"):
        al.Spec(space=S, reward=v.x, intent=al.Intent(v.x, require=[gap > 0]))
    covered = sp.Piecewise((sp.Piecewise((1, v.x > 2), (7, v.x <= 2)), v.x > 1), (0, True))
    spec = al.Spec(space=S, reward=covered, intent=al.Intent(v.x))
    assert al.outer.hacking(spec).verdict is V  # x = 2 earns 7 > 1 at the intended optimum

"""Budgets, replay and the sampling fallback: how verdicts stay trustworthy."""

import sympy as sp
from hypothesis import given, settings
from strategies_expr import SPACE, conditions

import alignspec as al
from alignspec.engine import search
from alignspec.solver import Budget, Problem
from alignspec.symbolic.rename import at

LINE = al.Space(x=al.Real(0, 10), y=al.Real(0, 10))
V = LINE.vars
TINY = al.Budget(rlimit=1)


def test_exhausted_budget_is_unknown_with_reason():
    aligned = al.Spec(space=LINE, reward=2 * V.x, intent=al.Intent(V.x))
    f = al.outer.inversion(aligned, budget=TINY, samples=0)
    assert f.verdict is al.Verdict.UNKNOWN
    assert f.reason == "rlimit budget of 1 exhausted"
    report = al.check(aligned, budget=TINY, samples=50)
    assert report.verdict is al.Verdict.UNKNOWN
    assert all("rlimit budget of 1 exhausted" in f.reason for f in report.findings)


def test_sampling_finds_a_replayed_witness_when_the_solver_gives_up():
    misaligned = al.Spec(space=LINE, reward=V.x, intent=al.Intent(-V.x))
    f = al.outer.inversion(misaligned, budget=TINY)
    assert f.verdict is al.Verdict.VIOLATED and f.method == "sampling"
    assert f.values["s1"]["reward"] > f.values["s2"]["reward"]
    assert f.values["s1"]["utility"] < f.values["s2"]["utility"]


def test_sampling_never_proves():
    aligned = al.Spec(space=LINE, reward=V.x + V.y, intent=al.Intent(V.x + V.y))
    f = al.outer.inversion(aligned, budget=TINY, samples=200)
    assert f.verdict is al.Verdict.UNKNOWN
    assert "sampling found no witness in 200 examples" in f.reason


def test_irrational_model_that_does_not_replay_is_unknown():
    problem = Problem({"s": LINE}, (("x^2 = 2", sp.Eq(at(V.x**2, LINE, "s"), 2)),))
    result = search(problem, Budget(), samples=0)
    assert result.status == "unknown"
    assert result.reason.startswith("replay failed: the solver's model is irrational")


def test_irrational_model_with_slack_replays_on_its_rational_approximation():
    problem = Problem(
        {"s": LINE},
        (
            ("x^2 > 2", at(V.x**2 > 2, LINE, "s")),
            ("x < 1.5", at(V.x < sp.Rational(3, 2), LINE, "s")),
        ),
    )
    result = search(problem, Budget(), samples=0)
    assert result.status == "found" and result.states["s"]["x"] ** 2 > 2


def test_nonlinear_spec_is_decided_or_unknown_with_nonlinear_reason():
    s = al.Spec(space=LINE, reward=V.x * V.y, intent=al.Intent(V.x + V.y))
    f = al.outer.inversion(s, samples=0)
    assert f.verdict is al.Verdict.VIOLATED  # nlsat decides this one
    assert f.values["s1"]["reward"] > f.values["s2"]["reward"]


@settings(max_examples=60)
@given(conditions)
def test_solver_models_always_replay_on_supported_input(cond):
    """Models z3 picks (not just random points) satisfy the exact semantics too."""
    problem = Problem({"s": SPACE}, (("c", at(cond, SPACE, "s")),))
    result = search(problem, Budget(rlimit=2_000_000), samples=0)
    if result.status == "unknown":
        assert not result.reason.startswith("replay failed: the solver's model does not")


def test_z3_errors_become_unknown(monkeypatch):
    import z3

    from alignspec.solver import backend

    def explode(self, *args):
        raise z3.Z3Exception("simulated failure")

    monkeypatch.setattr(z3.Solver, "check", explode)
    out = backend.solve(Problem({"s": LINE}, (("x > 1", at(V.x > 1, LINE, "s")),)), Budget())
    assert out.status == "unknown" and out.reason == "z3 error: simulated failure"
    monkeypatch.setattr(z3.Optimize, "check", explode)
    opt = backend.maximize(Problem({"s": LINE}), at(V.x, LINE, "s"), Budget())
    assert opt.status == "unknown" and "simulated failure" in opt.reason


def test_witnesses_are_simplified_but_still_replay():
    from fractions import Fraction

    from alignspec.engine import simplify

    states = {"a": {"x": Fraction(3284398, 4560617)}, "b": {"x": Fraction(3284398, 4560617)}}

    def between(s):
        return s["a"]["x"] == s["b"]["x"] and Fraction(7, 10) < s["a"]["x"] < Fraction(3, 4)

    short = simplify(states, between)  # 1, 1/2 and 3/4 fail; 5/7 (denominator <= 10) replays
    assert short == {"a": {"x": Fraction(5, 7)}, "b": {"x": Fraction(5, 7)}}
    unchanged = simplify(states, lambda s: s == states)
    assert unchanged == states

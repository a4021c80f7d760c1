"""Known answers for every outer check: PROVED and VIOLATED cases with exact witnesses."""

from fractions import Fraction

import pytest
import sympy as sp

import alignspec as al
from alignspec.symbolic.evaluate import holds, value_of

LINE = al.Space(x=al.Real(0, 10))
X = LINE.vars.x


def spec(**kw):
    kw.setdefault("space", LINE)
    return al.Spec(**kw)


# --- inversion -------------------------------------------------------------------------------
def test_inversion_unique_witness():
    bit = al.Space(n=al.Int(0, 1))
    f = al.outer.inversion(al.Spec(space=bit, reward=bit.vars.n, intent=al.Intent(-bit.vars.n)))
    assert f.verdict is al.Verdict.VIOLATED and f.method == "smt"
    assert f.witness == {"s1": {"n": 1}, "s2": {"n": 0}}
    assert f.values == {"s1": {"reward": 1, "utility": -1}, "s2": {"reward": 0, "utility": 0}}


def test_inversion_witness_respects_assumptions():
    two = al.Space(x=al.Real(0, 10), y=al.Real(0, 10))
    v = two.vars
    s = al.Spec(space=two, reward=v.x, intent=al.Intent(v.y), assume=[sp.Eq(v.y, 10 - v.x)])
    f = al.outer.inversion(s)
    assert f.verdict is al.Verdict.VIOLATED
    s1, s2 = f.witness["s1"], f.witness["s2"]
    assert s1["y"] == 10 - s1["x"] and s2["y"] == 10 - s2["x"] and s1["x"] > s2["x"]


def test_inversion_proved_for_positive_affine_reward():
    f = al.outer.inversion(spec(reward=2 * X + 3, intent=al.Intent(X)))
    assert f.verdict is al.Verdict.PROVED and f.witness is None
    assert "no feasible pair" in f.message


@pytest.mark.parametrize(
    "margin, verdict",
    [
        (Fraction(1, 2), al.Verdict.PROVED),
        (Fraction(2, 5), al.Verdict.VIOLATED),
        (0.5, al.Verdict.PROVED),
    ],
)
def test_inversion_margin(margin, verdict):
    two = al.Space(x=al.Real(0, 10), y=al.Real(0, 10))
    v = two.vars
    f = al.outer.inversion(
        al.Spec(space=two, reward=v.x + v.y / 10, intent=al.Intent(v.x)), margin=margin
    )
    assert f.verdict is verdict
    assert f.options == {"margin": Fraction(margin)}
    if verdict is al.Verdict.VIOLATED:
        r1, r2 = f.values["s1"]["reward"], f.values["s2"]["reward"]
        u1, u2 = f.values["s1"]["utility"], f.values["s2"]["utility"]
        assert r1 > r2 + Fraction(margin) and u1 < u2 - Fraction(margin)


# --- hacking ---------------------------------------------------------------------------------
def test_hacking_unique_optimum_and_regret():
    s = spec(reward=X, intent=al.Intent(-sp.Abs(X - 3), require=[X <= 5]))
    f = al.outer.hacking(s)
    assert f.verdict is al.Verdict.VIOLATED
    assert f.witness["s"] == {"x": 10}
    assert f.witness["intended_best"] == {"x": 3}
    assert f.figures == {
        "reward_optimum": 10,
        "intended_optimum": 0,
        "intended_achieved": -7,
        "regret": 7,
    }
    assert f.values["s"]["requirements"] == "broken: require[0]: x <= 5"


@pytest.mark.parametrize(
    "tolerance, verdict", [(0, al.Verdict.VIOLATED), (Fraction(1, 2), al.Verdict.PROVED)]
)
def test_hacking_epsilon_and_tolerance(tolerance, verdict):
    s = spec(reward=-2 * sp.Abs(X - 3), intent=al.Intent(-sp.Abs(X - 3)))
    f = al.outer.hacking(s, epsilon=1, tolerance=tolerance)
    assert f.verdict is verdict
    assert f.figures["regret"] == Fraction(1, 2)
    if verdict is al.Verdict.VIOLATED:
        assert abs(f.witness["s"]["x"] - 3) <= Fraction(1, 2)
        assert f.values["s"]["utility"] < 0


def test_hacking_requirement_only_intent():
    assert al.outer.hacking(spec(reward=X, intent=al.Intent(require=[X <= 5]))).witness == {
        "s": {"x": 10}
    }
    f = al.outer.hacking(spec(reward=-X, intent=al.Intent(require=[X <= 5])))
    assert f.verdict is al.Verdict.PROVED and f.figures == {"reward_optimum": 0}


def test_hacking_with_unattained_reward_supremum():
    s = spec(reward=X, intent=al.Intent(require=[X <= 5]), assume=[X < 8])
    assert al.outer.hacking(s).verdict is al.Verdict.PROVED  # nothing reaches the supremum 8
    f = al.outer.hacking(s, epsilon=1)
    assert f.verdict is al.Verdict.VIOLATED and 7 <= f.witness["s"]["x"] < 8
    assert f.figures["reward_optimum"] == 8


# --- requirements ----------------------------------------------------------------------------
def test_requirements_violated_with_best_compliant_state():
    f = al.outer.requirements(spec(reward=X, intent=al.Intent(require=[X <= 5])))
    assert f.verdict is al.Verdict.VIOLATED
    assert f.witness["s"]["x"] > 5 and f.witness["best_compliant"] == {"x": 5}
    assert f.figures == {"compliant_reward_optimum": 5}


def test_requirements_proved():
    f = al.outer.requirements(spec(reward=-X, intent=al.Intent(require=[X <= 5])))
    assert f.verdict is al.Verdict.PROVED and f.figures == {"compliant_reward_optimum": 0}


def test_requirements_strict_requirement_uses_the_exact_supremum():
    peak = 5 - sp.Abs(X - 5)  # compliant states (x < 5) approach 5 without reaching it
    f = al.outer.requirements(spec(reward=peak, intent=al.Intent(require=[X < 5])))
    # x = 5 breaks the requirement and out-earns every compliant state: none reaches 5
    assert f.verdict is al.Verdict.VIOLATED and f.figures == {"compliant_reward_optimum": 5}
    assert f.witness["s"] == {"x": 5} and "no compliant state attains" in f.message
    f = al.outer.requirements(spec(reward=peak, intent=al.Intent(require=[X <= 5])))
    assert f.verdict is al.Verdict.PROVED
    f = al.outer.requirements(spec(reward=X, intent=al.Intent(require=[X < 5])))
    assert f.verdict is al.Verdict.VIOLATED and f.witness["s"]["x"] >= 5


def test_requirements_that_nothing_meets():
    f = al.outer.requirements(spec(reward=X, intent=al.Intent(require=[X > 20])))
    assert f.verdict is al.Verdict.VIOLATED
    assert "no feasible state meets the requirements" in f.message
    assert f.figures == {"compliant_reward_optimum": None}


# --- goodhart curve --------------------------------------------------------------------------
def test_goodhart_curve_exact_points_and_threshold():
    f = al.outer.goodhart_curve(spec(reward=X, intent=al.Intent(-sp.Abs(X - 3))), points=11)
    assert f.verdict is al.Verdict.VIOLATED
    assert f.witness == {"reward_optimal": {"x": 10}, "utility_optimal": {"x": 3}}
    curve = f.curve
    assert curve.goodhart_threshold == 3 and curve.reward_max == 10 and curve.utility_optimum == 0
    assert [p.threshold for p in curve.points] == list(range(11))
    assert curve.points[5] == al.GoodhartPoint(5, -7, -2)
    assert all(p.worst == -7 for p in curve.points[:8])
    assert [p.best for p in curve.points] == [0, 0, 0, 0, -1, -2, -3, -4, -5, -6, -7]


def test_goodhart_curve_proved_for_monotone_reward():
    f = al.outer.goodhart_curve(spec(reward=X**3, intent=al.Intent(X)), points=3)
    assert f.verdict is al.Verdict.PROVED
    assert f.curve.goodhart_threshold == 1000 and f.curve.points[-1] == al.GoodhartPoint(
        1000, 10, 10
    )


# --- check() and Report ----------------------------------------------------------------------
def test_check_runs_applicable_checks_and_takes_the_worst():
    r = al.check(
        spec(
            reward=X,
            intent=al.Intent(-sp.Abs(X - 3), require=[X <= 5]),
            name="t",
            expect="misaligned",
        )
    )
    assert [f.check for f in r.findings] == [
        "inversion",
        "hacking",
        "requirements",
        "goodhart_curve",
    ]
    assert r.verdict is al.Verdict.VIOLATED and r.meets_expectation
    assert r["hacking"].verdict is al.Verdict.VIOLATED
    only = al.check(spec(reward=X, intent=al.Intent(require=[X <= 5])))
    assert [f.check for f in only.findings] == ["hacking", "requirements"]


def test_report_verdict_order():
    assert al.results.worst([al.Verdict.PROVED, al.Verdict.UNKNOWN]) is al.Verdict.UNKNOWN
    assert al.results.worst([al.Verdict.UNKNOWN, al.Verdict.VIOLATED]) is al.Verdict.VIOLATED
    assert al.results.worst([]) is al.Verdict.UNKNOWN


def test_every_witness_replays_on_the_spec():
    s = spec(reward=X, intent=al.Intent(-sp.Abs(X - 3), require=[X <= 5]), assume=[X >= 1])
    for f in al.check(s).findings:
        for role, state in (f.witness or {}).items():
            assert all(holds(e, LINE.variables, state) for _, e in s.assumptions)
            assert f.values[role]["reward"] == value_of(s.objective, LINE.variables, state)

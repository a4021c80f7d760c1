"""Issue 10: one API. Each reported inconsistency has a test here, written before its fix."""

import warnings
from fractions import Fraction

import pytest

import alignspec as al

V, P, U = al.Verdict.VIOLATED, al.Verdict.PROVED, al.Verdict.UNKNOWN

# one state, three actions; returns with gamma 1/2 are twice the one-step rewards
BANDIT = al.MDP([0], ["a", "b", "c"], {(0, x): [(1, 0)] for x in "abc"}, 0, gamma=Fraction(1, 2))
SPECIFIED = {"a": 3, "b": 2, "c": 1}
INTENDED = {"a": 3, "b": 1, "c": 2}


def spec_reward(s, a, s2):
    return SPECIFIED[a]


def intended_reward(s, a, s2):
    return INTENDED[a]


def test_mdpspec_equivalent_labels_the_specified_return_as_specified():
    bundle = al.mdp.MDPSpec(BANDIT, spec_reward, intended_reward, checks=("equivalent",))
    (f,) = bundle.check().findings
    assert f.verdict is V
    for who in ("pi", "pi_prime"):
        mix = _mixture(f.witness[who]["0"])
        assert f.values[who]["specified"] == 2 * sum(p * SPECIFIED[a] for a, p in mix.items())
        assert f.values[who]["intended"] == 2 * sum(p * INTENDED[a] for a, p in mix.items())


def _mixture(described: str) -> dict[str, Fraction]:
    """'b' or 'a: 1/2, b: 1/2' (how findings describe a policy's choice) as probabilities."""
    if ":" not in described:
        return {described: Fraction(1)}
    return {a.strip(): Fraction(p) for a, p in (part.split(":") for part in described.split(","))}


def _bundled(name):
    from alignspec.loader import load

    (target,) = [t for t in load(["specs"]) if t.label == name]
    return target


def test_check_honours_checks_and_budget_for_an_mdp_spec():
    boat = _bundled("boat-race")
    assert [f.check for f in al.check(boat, checks=["regret"]).findings] == ["regret"]
    assert [f.check for f in al.check(boat).findings] == ["regret", "hackable"]
    with pytest.raises(al.OptionError, match="unknown MDP check.*inversion"):
        al.check(boat, checks=["inversion"])


@pytest.mark.parametrize(
    "argument",
    [
        {"policy": "p"},
        {"train": True},
        {"deploy": True},
        {"oversight": "o"},
        {"samples": 5},
        {"points": 3},
    ],
)
def test_check_refuses_what_an_mdp_spec_cannot_take(argument):
    with pytest.raises(al.OptionError, match=f"{next(iter(argument))} cannot be given"):
        al.check(_bundled("boat-race"), **argument)


def test_check_refuses_what_a_learned_bundle_carries_and_honours_the_rest():
    from alignspec.loader import load

    learned = next(t for t in load(["specs"]) if isinstance(t, al.Learned))
    for argument in ({"train": True}, {"deploy": True}, {"oversight": "o"}, {"points": 3}):
        with pytest.raises(al.OptionError, match="cannot be given for a Learned"):
            al.check(learned, **argument)
    starved = al.check(learned, samples=0, budget=al.Budget(rlimit=1))
    assert {f.verdict for f in starved.findings} <= {U, V}  # the budget reached the checks


def test_check_passes_the_budget_to_trajectories():
    system = _bundled("boat-race-bmc")
    assert al.check(system).verdict is V
    starved = al.check(system, budget=al.Budget(rlimit=1), samples=0)
    assert starved.verdict is U  # the budget reached bmc: before, it was ignored
    assert [f.check for f in al.check(system, checks=["bmc"]).findings] == ["bmc"]
    with pytest.raises(al.OptionError, match="only check is 'bmc'"):
        al.check(system, checks=["regret"])


def test_optimal_takes_a_reward_in_any_form():
    by_function, values = al.mdp.optimal(BANDIT, spec_reward)
    assert BANDIT.actions[by_function[0]] == "a" and values[0] == 6  # 3 / (1 - 1/2)
    as_array, _ = al.mdp.optimal(BANDIT, [[1, 2, 3]])
    assert BANDIT.actions[as_array[0]] == "c"
    worst, low = al.mdp.optimal(BANDIT, spec_reward, sense="min")
    assert BANDIT.actions[worst[0]] == "c" and low[0] == 2


def test_forbidden_names_an_unknown_state():
    with pytest.raises(al.SpecError, match="forbidden state.*42"):
        al.mdp.forbidden(BANDIT, spec_reward, [42])


# --- one registry of checks -------------------------------------------------------------------
def test_everything_that_names_checks_agrees_with_the_registry():
    import importlib
    from pathlib import Path

    import yaml

    from alignspec import registry
    from alignspec.report.sarif import RULES

    root = Path(__file__).resolve().parent.parent
    check_module = importlib.import_module("alignspec.runner")
    every = [c.name for c in registry.CHECKS]
    assert set(RULES) == set(every)
    assert check_module.CHECKS == registry.names("outer") + registry.names("inner")
    assert set(check_module.ALL_CHECKS) == {c.name for c in registry.CHECKS if c.in_check}
    assert importlib.import_module("alignspec.mdp.spec").MDP_CHECKS == registry.names("mdp")
    for c in registry.CHECKS:  # each function exists where the registry says
        module, _, name = c.function.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), c.function
        page = root / "docs" / "checks" / f"{c.name}.md"
        assert page.read_text() == registry.page(c), (
            f"{page} is stale: python -c 'from pathlib import Path; "
            'from alignspec.registry import write_pages; write_pages(Path("docs"))\''
        )
    nav = yaml.safe_load((root / "mkdocs.yml").read_text())["nav"]
    (pages,) = [entry["One page per check"] for entry in nav if "One page per check" in entry]
    assert [next(iter(p)) for p in pages] == every


def test_unknown_checks_are_refused_everywhere_with_the_list():
    from alignspec import registry

    with pytest.raises(al.OptionError, match="unknown check 'reward'.*'inversion'"):
        registry.info("reward")
    S = al.Space(x=al.Real(0, 1))
    spec = al.Spec(space=S, reward=S.vars.x, intent=al.Intent(S.vars.x))
    with pytest.raises(al.OptionError, match="unknown check"):
        al.check(spec, checks=["regret"])


# --- one calling convention, and the 0.1 spellings for one release -----------------------------
LINE = al.Space(x=al.Int(0, 4), w=al.Bool())
MOVES = al.Actions("stay", "go")
GO = al.ExprPolicy(LINE, MOVES, [(LINE.vars.w, "stay")], default="go")
OBJECTIVE = MOVES.per_action({"stay": 0, "go": LINE.vars.x})
OUTER_SPEC = al.Spec(
    space=LINE,
    reward=LINE.vars.x,
    intent=al.Intent(-LINE.vars.x, require=[LINE.vars.x <= 3]),
)
INNER_SPEC = al.Spec(
    space=LINE, actions=MOVES, intent=al.Intent(require=[al.eq(MOVES.symbol, "stay")])
)


def _same(old, new):
    with pytest.warns(DeprecationWarning, match="old spelling goes away"):
        before = old()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        after = new()
    assert (before.verdict, before.witness, before.message) == (
        after.verdict,
        after.witness,
        after.message,
    )


@pytest.mark.parametrize(
    "old, new",
    [
        (
            lambda: al.outer.inversion(OUTER_SPEC, 1),
            lambda: al.outer.inversion(OUTER_SPEC, margin=1),
        ),
        (
            lambda: al.outer.hacking(OUTER_SPEC, 1, 2),
            lambda: al.outer.hacking(OUTER_SPEC, epsilon=1, tolerance=2),
        ),
        (
            lambda: al.outer.goodhart_curve(OUTER_SPEC, 3),
            lambda: al.outer.goodhart_curve(OUTER_SPEC, points=3),
        ),
        (
            lambda: al.inner.verify(GO, INNER_SPEC, region_=LINE.vars.x >= 2),
            lambda: al.inner.verify(GO, INNER_SPEC, LINE.vars.x >= 2),
        ),
        (
            lambda: al.inner.optimality(GO, OBJECTIVE, None, 1),
            lambda: al.inner.optimality(GO, OBJECTIVE, epsilon=1),
        ),
        (
            lambda: al.inner.optimality(GO, objective_=OBJECTIVE, region_=LINE.vars.x >= 1),
            lambda: al.inner.optimality(GO, OBJECTIVE, region=LINE.vars.x >= 1),
        ),
        (
            lambda: al.inner.oversight(GO, "w", None, INNER_SPEC),
            lambda: al.inner.oversight(GO, INNER_SPEC, flag="w"),
        ),
        (
            lambda: al.mdp.equivalent(BANDIT, r1=spec_reward, r2=intended_reward),
            lambda: al.mdp.equivalent(BANDIT, specified=spec_reward, intended=intended_reward),
        ),
    ],
)
def test_the_old_spellings_warn_and_mean_the_same(old, new):
    _same(old, new)


def test_options_cannot_be_given_twice_or_by_too_many_positions():
    with pytest.raises(TypeError, match="both 'region_' and 'region'"):
        al.inner.verify(GO, INNER_SPEC, region_=None, region=None)
    with pytest.raises(TypeError, match="positional"):
        al.outer.inversion(OUTER_SPEC, 1, 2)
    with pytest.raises(al.OptionError, match="epsilon"):
        al.inner.optimality(GO, OBJECTIVE, epsilon=-1)


# --- uniform findings ---------------------------------------------------------------------------
def _uniform(finding):
    from alignspec.results import FIGURES, METHODS

    assert isinstance(finding.subject, str) and finding.subject, finding
    if finding.verdict is not U:
        assert finding.method in METHODS, (finding.check, finding.method)
    assert set(finding.figures) <= set(FIGURES), (finding.check, set(finding.figures))
    for part in finding.parts:
        _uniform(part)


def test_every_bundled_finding_is_uniform():
    from alignspec.loader import load

    for target in load(["specs"]):
        report = al.check(target, points=3) if isinstance(target, al.Spec) else al.check(target)
        for finding in report.findings:
            _uniform(finding)
            if not isinstance(target, al.Learned):
                assert finding.subject == target.label


def test_direct_calls_name_their_subject():
    hack = al.mdp.hackable(BANDIT, spec_reward, intended_reward)
    assert hack.subject == "MDP (1 states, 3 actions)" and hack.method == "exact"
    _uniform(hack)
    _uniform(al.mdp.regret(BANDIT, spec_reward, intended_reward))
    _uniform(al.mdp.equivalent(BANDIT, spec_reward, intended_reward))
    _uniform(al.mdp.forbidden(BANDIT, spec_reward, [0]))
    named = al.MDP([0], ["a"], {(0, "a"): [(1, 0)]}, 0, gamma=Fraction(1, 2), name="loop")
    assert al.mdp.regret(named, lambda s, a, s2: 1, lambda s, a, s2: 1).subject == "loop"
    _uniform(al.inner.verify(GO, INNER_SPEC))
    _uniform(al.outer.requirements(OUTER_SPEC))
    _uniform(al.outer.goodhart_curve(OUTER_SPEC, points=3))


def test_old_figure_keys_and_finding_spec_still_read_with_a_warning():
    f = al.outer.hacking(OUTER_SPEC)
    with pytest.warns(DeprecationWarning, match="intended_optimum"):
        assert f.figures["utility_optimum"] == f.figures["intended_optimum"]
    with pytest.warns(DeprecationWarning, match="subject"):
        assert f.spec == f.subject
    with pytest.raises(KeyError):
        f.figures["no_such_figure"]


def test_a_linear_algebra_proof_says_exact_and_has_no_query():
    f = al.mdp.hackable(BANDIT, spec_reward, lambda s, a, s2: 2 * spec_reward(s, a, s2) + 1)
    assert f.verdict is P and f.method == "exact" and f.smt2 is None


def test_the_docs_list_every_method_and_figure():
    from pathlib import Path

    from alignspec.results import FIGURES, METHODS

    api = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    for key, meaning in [*METHODS.items(), *FIGURES.items()]:
        assert f"| `{key}` | {meaning} |" in api, key


def test_exact_numbers_of_thousands_of_digits_still_print():
    # exact MDP returns on a 2,000-state random model run past Python's 4,300-digit limit
    import json

    from alignspec.report import text
    from alignspec.results import number_text

    huge = Fraction(10**5000 + 1, 3 * 10**4990)
    shown = number_text(huge)
    assert shown.startswith("3333333333.33") and "about 5001 digits" in shown
    assert number_text(Fraction(1, 3)) == "1/3"
    # a denominator past six digits gets a decimal beside the exact value
    assert number_text(Fraction(10**12 + 1, 3 * 10**11)) == (
        "1000000000001/300000000000 (about 3.33333333334)"
    )
    f = al.Finding("regret", V, "message", subject="m", figures={"regret": huge})
    assert "regret=3333333333.33" in text.render(al.Report("m", (f,)))
    assert json.loads(json.dumps(f.to_dict()))["figures"]["regret"] == shown


def test_printing_a_report_gives_the_text_report():
    from alignspec.report import text

    space = al.Space(x=al.Real(0, 1))
    report = al.check(
        al.Spec(space=space, reward=al.Reward(space.vars.x), intent=al.Intent(space.vars.x))
    )
    assert str(report) == text.render(report) and "verdict PROVED" in str(report)
    assert repr(report).startswith("Report(")

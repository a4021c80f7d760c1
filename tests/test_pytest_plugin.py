"""The pytest plugin and the assertion helpers."""

import textwrap

import pytest

import alignspec as al

SPECS = """
    import alignspec as al
    s = al.Space(x=al.Real(0, 10))
    good = al.Spec(space=s, reward=2 * s.vars.x, intent=al.Intent(s.vars.x), name="good",
                   expect="aligned")
    bad = al.Spec(space=s, reward=s.vars.x, intent=al.Intent(-s.vars.x), name="bad",
                  expect="misaligned")
"""
WRONG = """
    import alignspec as al
    s = al.Space(x=al.Real(0, 10))
    wrong = al.Spec(space=s, reward=s.vars.x, intent=al.Intent(-s.vars.x), name="wrong",
                    expect="aligned")
"""
BLACK_BOX = """
    import alignspec as al
    s = al.Space(n=al.Int(0, 3))
    acts = al.Actions("a", "b")
    spec = al.Spec(space=s, actions=acts, reward=acts.per_action({"a": 1, "b": 0}))
    def always_a(state):
        return "a"
    box = al.Learned(spec, al.CallablePolicy(s, acts, always_a), name="box")
"""


def run(pytester, source, *args):
    path = pytester.makepyfile(specfile=textwrap.dedent(source))
    return pytester.runpytest_subprocess("--alignspec", str(path), "-p", "no:cacheprovider", *args)


def test_items_per_spec_and_check_honour_expect(pytester):
    result = run(pytester, SPECS, "-v")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        ["*specfile.py::good::inversion PASSED*", "*specfile.py::bad::expect PASSED*"]
    )


def test_failures_show_the_witness(pytester):
    result = run(pytester, WRONG)
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*expected aligned, got:*",
            "*inversion: VIOLATED (smt)*",
            "*s1: x=1*reward=1, utility=-1*",
        ]
    )


def test_unknown_fails_unless_allowed(pytester):
    result = run(pytester, BLACK_BOX)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*UNKNOWN (use --alignspec-allow-unknown to accept)*", "*sampling never proves*"]
    )
    run(pytester, BLACK_BOX, "--alignspec-allow-unknown").assert_outcomes(passed=1)


def test_assertion_helpers():
    s = al.Space(x=al.Real(0, 10))
    x = s.vars.x
    good = al.Spec(space=s, reward=2 * x, intent=al.Intent(x), name="good")
    bad = al.Spec(space=s, reward=x, intent=al.Intent(-x), name="bad")
    assert al.assert_aligned(good).verdict is al.Verdict.PROVED
    assert al.assert_misaligned(bad).verdict is al.Verdict.VIOLATED
    with pytest.raises(AssertionError, match=r"bad is not proved aligned(.|\n)*s1: x=1"):
        al.assert_aligned(bad)
    with pytest.raises(AssertionError, match=r"good was expected to be misaligned(.|\n)*PROVED"):
        al.assert_misaligned(good)


def test_the_plugin_costs_nothing_without_its_option(pytester, monkeypatch):
    monkeypatch.setenv("CI", "1")
    pytester.makepyfile(
        test_other="""
        import sys
        from hypothesis import settings

        def test_alignspec_not_loaded():
            assert "alignspec" not in sys.modules and "z3" not in sys.modules
            # CI is set: hypothesis' own "ci" profile stands, not one of alignspec's
            assert settings.get_current_profile_name() != "alignspec-ci"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_ci_profile_only_when_asked(pytester):
    pytester.makepyfile(
        test_profile="""
        from hypothesis import settings

        def test_profile():
            assert settings.get_current_profile_name() == "alignspec-ci"
            assert settings.default.derandomize and settings.default.database is None
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--alignspec-ci-profile")
    result.assert_outcomes(passed=1)


def test_spec_directories_are_collected_by_pytest_itself(pytester):
    pytester.mkdir("specs")
    (pytester.path / "specs" / "good.py").write_text(textwrap.dedent(SPECS))
    (pytester.path / "specs" / "wrong.py").write_text(textwrap.dedent(WRONG))
    result = pytester.runpytest_subprocess(
        "--alignspec", "specs", "-p", "no:cacheprovider", "-k", "good and not wrong", "-v"
    )
    result.assert_outcomes(passed=7)  # -k selects among spec items like any test
    result.stdout.fnmatch_lines(["*specs/good.py::good::inversion PASSED*"])
    everything = pytester.runpytest_subprocess("--alignspec", "specs", "-p", "no:cacheprovider")
    everything.assert_outcomes(passed=7, failed=3)

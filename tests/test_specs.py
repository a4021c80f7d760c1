"""The bundled specs find what their docstrings say they find."""

import pytest

import alignspec as al
from alignspec.loader import load

SPECS = {s.name: s for s in load(["specs"])}
P, V = al.Verdict.PROVED, al.Verdict.VIOLATED


@pytest.mark.parametrize(
    "name, verdicts",
    [
        (
            "engagement-vs-wellbeing",
            {"inversion": V, "hacking": V, "requirements": V, "goodhart_curve": V},
        ),
        (
            "delivery-time-only",
            {"inversion": V, "hacking": V, "requirements": V, "goodhart_curve": V},
        ),
        (
            "tests-passed-proxy",
            {"inversion": V, "hacking": V, "requirements": V, "goodhart_curve": V},
        ),
        (
            "thermostat-affine",
            {"inversion": P, "hacking": P, "requirements": P, "goodhart_curve": P},
        ),
        ("ranking-monotone", {"inversion": P, "hacking": P, "goodhart_curve": P}),
        ("cubic-monotone", {"inversion": P, "hacking": P, "goodhart_curve": P}),
    ],
)
def test_bundled_spec_verdicts(name, verdicts):
    report = al.check(SPECS[name], points=3)
    assert {f.check: f.verdict for f in report.findings} == verdicts
    assert report.meets_expectation
    assert all(f.method == "smt" for f in report.findings)


def test_every_bundled_spec_file_explains_itself():
    from pathlib import Path

    for path in Path("specs").glob("*.py"):
        text = path.read_text()
        assert text.startswith('"""'), path
        assert "What the checks find" in text or "Every check is PROVED" in text, path


def test_engagement_hacking_figures_are_exact():
    f = al.outer.hacking(SPECS["engagement-vs-wellbeing"])
    assert f.figures == {
        "reward_optimum": 22,
        "intended_optimum": 10,
        "intended_achieved": -10,
        "regret": 20,
    }
    assert f.witness["s"]["engagement"] == 19 and f.witness["s"]["clickbait"] is True


def test_tests_proxy_hack_deletes_tests():
    f = al.outer.hacking(SPECS["tests-passed-proxy"])
    assert f.witness["s"] == {"bugs": 10, "deleted": 20, "failing": 0, "effort": 0}

"""The HTML report: self-contained, with verdicts, witnesses and SVG plots; rendered in a
real headless browser when one is installed."""

import math
import shutil
import subprocess
import sys
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest

import alignspec as al
from alignspec.loader import load
from alignspec.report import html

ROOT = Path(__file__).resolve().parent.parent
TARGETS = [t for t in load(["specs/engagement.py", "specs/aligned.py"])]


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.external = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)


@pytest.fixture(scope="module")
def page():
    reports = [al.check(t, points=5) for t in TARGETS]
    return html.render(reports, TARGETS)


def test_report_is_self_contained_with_verdicts_and_witnesses(page):
    parser = Tags()
    parser.feed(page)
    assert parser.external == []  # no scripts, stylesheets or images to fetch
    assert page.count("<section") == len(TARGETS)
    assert 'class="badge violated"' in page and 'class="badge proved"' in page
    assert "engagement-vs-wellbeing" in page and "regret=20" in page


def test_report_embeds_the_plots(page):
    pytest.importorskip("matplotlib")
    # engagement: Goodhart curve + disagreement map; aligned specs: curves (+ maps where
    # a spec has two numeric variables)
    assert page.count("<svg") >= 3
    assert "Goodhart threshold" in page and "where reward and intent disagree" in page


BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(BROWSER is None, reason="no headless browser installed")
def test_report_renders_in_a_headless_browser(tmp_path, page):
    path = tmp_path / "report.html"
    path.write_text(page)
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            path.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 10_000  # a real, non-blank rendering
    dom = subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile2'}",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "engagement-vs-wellbeing" in dom.stdout and "<svg" in dom.stdout


def test_cli_html_format(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "alignspec",
            "check",
            "specs/aligned.py",
            "--format",
            "html",
            "--points",
            "3",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0 and out.stdout.startswith("<!DOCTYPE html>")


def test_map_axes_are_chosen():
    pytest.importorskip("matplotlib")
    from alignspec.report import plots

    spec = next(t for t in TARGETS if t.name == "engagement-vs-wellbeing")
    report = al.check(spec, points=3)
    assert html.render([report], [spec], axes=("age", "engagement")).count("<svg") == 2
    assert html.render([report], [spec], axes=("age", "mode")).count("<svg") == 1
    assert plots.disagreement(spec, "age", "engagement") is not None
    assert plots.disagreement(spec, "age", "mode") is None  # a Choice cannot be an axis


def test_unknown_map_variables_are_an_error():
    out = subprocess.run(
        [sys.executable, "-m", "alignspec", "check", "specs/engagement.py", "--format", "html"]
        + ["--map", "age,nonsense"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2 and out.stdout == ""
    assert "--map age,nonsense: no loaded spec has both variables" in out.stderr


def test_undecided_goodhart_points_are_gaps_with_a_legend():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from alignspec.report import plots
    from alignspec.results import GoodhartCurve, GoodhartPoint

    F = Fraction
    points = (
        GoodhartPoint(F(0), F(1), F(2)),
        GoodhartPoint(F(1), None, None),  # the solver could not decide this threshold
        GoodhartPoint(F(2), F(0), F(1)),
    )
    drawn = []
    real_plot = plt.Axes.plot

    def spy(self, *args, **kwargs):
        drawn.append(list(args[1]))
        return real_plot(self, *args, **kwargs)

    plt.Axes.plot = spy
    try:
        svg = plots.goodhart(GoodhartCurve(points, F(0), F(2), F(2), F(1)))
    finally:
        plt.Axes.plot = real_plot
    assert "undecided (1 of 3 thresholds)" in svg
    # both lines break at the undecided threshold instead of joining its neighbours
    assert [ys[0] for ys in drawn] == [2.0, 1.0] and all(math.isnan(ys[1]) for ys in drawn)
    decided = GoodhartCurve(points[::2], F(0), F(2), F(2), F(1))
    assert "undecided" not in plots.goodhart(decided)


def test_a_second_policy_shows_only_where_it_differs():
    first = {str(s): "left" for s in range(50)}
    second = {**first, "3": "right", "7": "right"}
    finding = al.Finding(
        "hackable",
        al.Verdict.VIOLATED,
        "pi' beats pi on the specified reward",
        witness={"pi": first, "pi_prime": second},
    )
    page = html.render([al.Report("mdp", (finding,))])
    assert "as the first, except 3=right, 7=right" in page
    assert page.count("=left") == 40 and "... and 10 more" in page


def test_reports_name_spec_files_relative_to_the_working_directory(tmp_path, monkeypatch):
    from alignspec.report import junit, text
    from alignspec.report.paths import shown

    monkeypatch.chdir(ROOT)
    inside = str(ROOT / "specs" / "engagement.py")
    assert shown(inside) == "specs/engagement.py"
    outside = str(tmp_path / "elsewhere.py")
    assert shown(outside) == outside  # no ../../.. climbing out of the project
    finding = al.Finding("hacking", al.Verdict.PROVED, "nothing to gain")
    report = al.Report("s", (finding,), source=(inside, 7))
    assert "(specs/engagement.py:7)" in text.render(report)
    assert "specs/engagement.py:7" in html.render([report])
    assert 'file="specs/engagement.py"' in junit.dumps([report])


def test_map_names_the_fixed_variables_and_shades_the_infeasible_region():
    pytest.importorskip("matplotlib")
    from alignspec.report import plots

    spec = next(t for t in TARGETS if t.name == "engagement-vs-wellbeing")
    svg = plots.disagreement(spec, "engagement", "wellbeing")
    # wellbeing <= 10 - engagement cuts the square: the cut-off corner is shaded, labelled
    assert "infeasible: breaks an assumption" in svg
    assert "other variables fixed at " in svg and "clickbait=False" in svg and "age=56" in svg
    unconstrained = al.Spec(
        space=al.Space(a=al.Real(0, 1), b=al.Real(0, 1)),
        intent=al.Intent(al.Space(a=al.Real(0, 1), b=al.Real(0, 1)).vars.a),
        reward=al.Reward(al.Space(a=al.Real(0, 1), b=al.Real(0, 1)).vars.b),
    )
    plain = plots.disagreement(unconstrained)
    assert "infeasible" not in plain and "fixed at" not in plain

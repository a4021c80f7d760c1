"""A self-contained HTML report: verdicts, witnesses, and plots embedded as SVG."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from alignspec.report import plots
from alignspec.report.paths import shown
from alignspec.results import Finding, Report, Verdict, number_text

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
h1{font-size:1.6em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.badge{display:inline-block;padding:.1em .6em;border-radius:.8em;color:#fff;font-size:.85em}
.proved{background:#2e7d32}.violated{background:#c62828}.unknown{background:#8d6e00}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ddd;padding:.3em .6em;
vertical-align:top;text-align:left;font-size:.9em} pre{white-space:pre-wrap;margin:0}
.plots{display:flex;flex-wrap:wrap;gap:1em}.note{color:#666;font-size:.85em}
"""


def _badge(verdict: Verdict) -> str:
    return f'<span class="badge {verdict.value}">{verdict}</span>'


def _summary(f: Finding) -> str:
    """The message; with a witness table below, only its first line (the table has the rest)."""
    return f.message.splitlines()[0] if f.witness and not f.parts else f.message


def _figures(f: Finding) -> str:
    shown = ", ".join(f"{k}={number_text(v)}" for k, v in f.figures.items() if v is not None)
    return f'<p class="note">figures: {html.escape(shown)}</p>' if shown else ""


#: Entries of one witness shown in full (an MDP policy has one per state).
SHOWN_ENTRIES = 40


def _cells(state: dict[str, Any]) -> str:
    items = [f"{k}={v}" for k, v in state.items()]
    more = len(items) - SHOWN_ENTRIES
    return ", ".join(items[:SHOWN_ENTRIES]) + (f", ... and {more} more" if more > 0 else "")


def _witness(f: Finding) -> str:
    """The witness table; a second policy over the same states shows only where it differs
    from the first (two 108-state policies were printed in full)."""
    if not f.witness:
        return ""
    rows = []
    first: dict[str, Any] | None = None
    for role, state in f.witness.items():
        values = f.values.get(role, {})
        if first is not None and len(state) > 8 and state.keys() == first.keys():
            changed = {k: v for k, v in state.items() if first[k] != v}
            cells = f"as the first, except {_cells(changed)}" if changed else "as the first"
        else:
            cells = _cells(state)
            first = first if first is not None else dict(state)
        extra = ", ".join(f"{k}={number_text(v)}" for k, v in values.items())
        rows.append(
            f"<tr><th>{html.escape(role)}</th><td>{html.escape(cells)}</td>"
            f"<td>{html.escape(extra)}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def render(
    reports: Sequence[Report],
    targets: Sequence[Any] | None = None,
    axes: tuple[str, ...] | None = None,
) -> str:
    """The report as one HTML document (no external files, scripts or fonts).  ``axes``
    names the two variables of the reward-vs-intent map (default: the first two numeric
    ones; specs without both are drawn without a map)."""
    from alignspec import __version__

    ok = all(r.meets_expectation for r in reports)
    parts = [
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>alignspec report</title><style>{STYLE}</style></head><body>",
        f"<h1>alignspec report</h1><p>{len(reports)} spec(s); "
        f"{'all as expected' if ok else 'some not as expected'} "
        f"(alignspec {__version__})</p>",
    ]
    if not plots.available():
        parts.append("<p class=\"note\">Plots need matplotlib: pip install 'alignspec[plot]'.</p>")
    for i, report in enumerate(reports):
        target = targets[i] if targets is not None else None
        status = "as expected" if report.meets_expectation else "NOT AS EXPECTED"
        where = (
            f" &middot; {html.escape(shown(report.source[0]))}:{report.source[1]}"
            if report.source
            else ""
        )
        parts.append(
            f'<section id="spec-{i}"><h2>{html.escape(report.spec)} '
            f"{_badge(report.verdict)}</h2><p>expect {report.expect or 'nothing'}: "
            f"{status}{where}</p>"
        )
        parts.append(
            "<table><tr><th>check</th><th>verdict</th><th>method</th><th>time</th>"
            "<th>finding</th></tr>"
        )
        for f in report.findings:
            parts.append(
                f"<tr><td>{html.escape(f.check)}</td><td>{_badge(f.verdict)}</td>"
                f"<td>{html.escape(f.method or '')}</td><td>{f.elapsed:.3f}s</td>"
                f"<td><pre>{html.escape(_summary(f))}</pre>{_witness(f)}{_figures(f)}</td></tr>"
            )
        parts.append("</table>")
        figures = []
        if plots.available():
            for f in report.findings:
                if f.curve is not None:
                    figures.append(plots.goodhart(f.curve))
            from alignspec.spec import Spec

            if isinstance(target, Spec) and (
                axes is None or set(axes) <= set(target.domain.variables)
            ):
                x, y = axes if axes else (None, None)
                svg = plots.disagreement(target, x, y)
                if svg:
                    figures.append(svg)
        if figures:
            parts.append('<div class="plots">' + "".join(figures) + "</div>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)

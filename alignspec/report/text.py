"""A readable table per spec, with witnesses and figures."""

from __future__ import annotations

from alignspec.report.paths import shown
from alignspec.results import Finding, Report, Verdict, number_text

_MARK = {Verdict.PROVED: "PROVED", Verdict.VIOLATED: "VIOLATED", Verdict.UNKNOWN: "UNKNOWN"}


def _where(report: Report) -> str:
    if report.source is None:
        return ""
    path, line = report.source
    return f"  ({shown(path)}:{line})"


def _fig(value: object) -> str:
    return "?" if value is None else number_text(value)


def _figures(f: Finding) -> str:
    shown = ", ".join(f"{k}={number_text(v)}" for k, v in f.figures.items() if v is not None)
    return f"      figures: {shown}" if shown else ""


def render_finding(f: Finding) -> list[str]:
    head = f"  {f.check:<15} {_MARK[f.verdict]:<9} {f.method or '-':<9} {f.elapsed:7.3f}s"
    lines = [head]
    body = f.message.splitlines()
    lines += [f"      {line}" for line in body]
    if f.curve is not None:
        pts = f.curve.points
        shown = pts if len(pts) <= 6 else pts[:: max(1, len(pts) // 5)] + (pts[-1],)
        lines.append(
            "      curve (reward >= t: worst .. best utility): "
            + "; ".join(
                f"t={p.threshold}: {_fig(p.worst)}..{_fig(p.best)}" for p in dict.fromkeys(shown)
            )
        )
    fig = _figures(f)
    if fig:
        lines.append(fig)
    return lines


def render(report: Report) -> str:
    expect = f"expect {report.expect}" if report.expect else "no expectation"
    status = "ok" if report.meets_expectation else "NOT AS EXPECTED"
    lines = [f"{report.spec}{_where(report)}", f"  {expect}; verdict {report.verdict}: {status}"]
    if not report.findings:
        lines.append("  (no applicable check: the spec needs a reward and an intent)")
    for f in report.findings:
        lines += render_finding(f)
    return "\n".join(lines)


def summary(reports: list[Report]) -> str:
    bad = [r.spec for r in reports if not r.meets_expectation]
    counts = {v: sum(r.verdict is v for r in reports) for v in Verdict}
    text = (
        f"{len(reports)} spec(s): {counts[Verdict.PROVED]} proved, "
        f"{counts[Verdict.VIOLATED]} violated, {counts[Verdict.UNKNOWN]} unknown; "
    )
    return text + (f"{len(bad)} not as expected: {', '.join(bad)}" if bad else "all as expected")

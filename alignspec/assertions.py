"""Assertions for test code: fail with the check, the witness and the values."""

from __future__ import annotations

from typing import Any

from alignspec.results import Finding, Report, Verdict, number_text


def _describe(finding: Finding) -> str:
    lines = [
        f"  {finding.check}: {finding.verdict}" + (f" ({finding.method})" if finding.method else "")
    ]
    if finding.reason:
        lines.append(f"    reason: {finding.reason}")
    for role, state in (finding.witness or {}).items():
        values = finding.values.get(role, {})
        shown = ", ".join(f"{k}={v}" for k, v in state.items())
        extra = ", ".join(f"{k}={number_text(v)}" for k, v in values.items())
        lines.append(f"    {role}: {shown}" + (f"  [{extra}]" if extra else ""))
    figures = ", ".join(
        f"{k}={number_text(v)}" for k, v in finding.figures.items() if v is not None
    )
    if figures:
        lines.append(f"    figures: {figures}")
    return "\n".join(lines)


def _report(target: Any, kwargs: dict[str, Any]) -> Report:
    from alignspec.runner import check

    return check(target, **kwargs)


def assert_aligned(target: Any, **kwargs: Any) -> Report:
    """Check ``target`` (a Spec, Learned, MDPSpec or Trajectories; ``check()`` keyword
    arguments such as ``policy=`` pass through) and raise AssertionError unless every
    finding is PROVED.  The message shows each failing check with its witness and values."""
    report = _report(target, kwargs)
    failing = [f for f in report.findings if f.verdict is not Verdict.PROVED]
    if failing or not report.findings:
        body = "\n".join(_describe(f) for f in failing) or "  (no check applied)"
        raise AssertionError(
            f"{report.spec} is not proved aligned: verdict {report.verdict}\n{body}"
        )
    return report


def assert_misaligned(target: Any, **kwargs: Any) -> Report:
    """Raise AssertionError unless some finding is VIOLATED (with its replayed witness).
    The message lists every check's verdict and, for UNKNOWN ones, the reason."""
    report = _report(target, kwargs)
    if report.verdict is not Verdict.VIOLATED:
        body = "\n".join(_describe(f) for f in report.findings) or "  (no check applied)"
        raise AssertionError(
            f"{report.spec} was expected to be misaligned, but no check found "
            f"a violation: verdict {report.verdict}\n{body}"
        )
    return report

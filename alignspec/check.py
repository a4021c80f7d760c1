"""Run every applicable check on a spec: one independent task per (spec, options)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alignspec.engine import SAMPLES
from alignspec.errors import OptionError, SpecError
from alignspec.outer import goodhart_curve, hacking, inversion, requirements
from alignspec.results import Finding, Report
from alignspec.solver import Budget
from alignspec.spec import Spec

CHECKS = ("inversion", "hacking", "requirements", "goodhart_curve")


def applicable(spec: Spec) -> tuple[str, ...]:
    """The outer checks whose inputs the spec provides, in a fixed order."""
    has_r, has_u, has_req = (
        spec.objective is not None,
        spec.utility is not None,
        bool(spec.requirements),
    )
    wanted = {
        "inversion": has_r and has_u,
        "hacking": has_r and (has_u or has_req),
        "requirements": has_r and has_req,
        "goodhart_curve": has_r and has_u,
    }
    return tuple(name for name in CHECKS if wanted[name])


def check(
    spec: Spec,
    *,
    checks: Sequence[str] | None = None,
    budget: Budget | None = None,
    samples: int = SAMPLES,
    points: int = 20,
) -> Report:
    """Run the applicable checks (or the named ``checks``) and combine them in a Report.

    The Report's verdict is the worst of its findings (VIOLATED > UNKNOWN > PROVED).
    """
    if not isinstance(spec, Spec):
        raise SpecError(f"check() takes an alignspec.Spec, got {type(spec).__name__}")
    names = tuple(checks) if checks is not None else applicable(spec)
    unknown_names = [n for n in names if n not in CHECKS]
    if unknown_names:
        raise OptionError(f"unknown check(s) {unknown_names}; choose from {list(CHECKS)}")
    runners: dict[str, Callable[[], Finding]] = {
        "inversion": lambda: inversion(spec, budget=budget, samples=samples),
        "hacking": lambda: hacking(spec, budget=budget, samples=samples),
        "requirements": lambda: requirements(spec, budget=budget, samples=samples),
        "goodhart_curve": lambda: goodhart_curve(spec, points, budget=budget),
    }
    findings = tuple(runners[name]() for name in names)
    return Report(spec.label, findings, spec.expect, spec.source)

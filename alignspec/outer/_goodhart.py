"""Goodhart curve: what happens to intended utility as the reward is pushed higher."""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

import attrs
import sympy
from sympy.core.parameters import evaluate

from alignspec import execution
from alignspec.checking.convention import about, renamed
from alignspec.checking.convention import spec_label as _spec_label
from alignspec.checking.run import Clock, budget_or_default, show, unevaluated
from alignspec.engine import Extremum, extremum
from alignspec.errors import OptionError
from alignspec.outer._support import (
    feasible,
    needs,
    unknown,
    values_at,
)
from alignspec.results import Finding, GoodhartCurve, GoodhartPoint, Verdict
from alignspec.solver import Budget, Problem, isolated
from alignspec.spec import Spec
from alignspec.symbolic.evaluate import value_of


@about(_spec_label)
@renamed(1, ("spec", "points"))
@unevaluated
def goodhart_curve(spec: Spec, *, points: int = 20, budget: Budget | None = None) -> Finding:
    """For ``points`` reward thresholds t from the least to the greatest feasible reward,
    the exact worst and best intended utility among feasible states with reward >= t.

    Demanding more reward shrinks the set of states, so the worst case can only rise; the
    Goodhart signal is the best case falling.  ``goodhart_threshold`` is the highest reward a
    utility-optimal state reaches: beyond it, more reward must cost intended utility.
    VIOLATED when that threshold lies below the reward optimum (witness: a reward-optimal
    and a utility-optimal state); PROVED when some reward-optimal state is utility-optimal.
    """
    needs(spec, "goodhart_curve", reward=True, utility=True)
    if not isinstance(points, int) or points < 2:
        raise OptionError(f"points={points!r} must be an integer >= 2")
    options = {"points": points}
    clock, b = Clock(), budget_or_default(budget)
    r, u = spec.objective, spec.utility
    assert r is not None and u is not None
    base = Problem({"s": spec.domain}, feasible(spec, "s"))
    R, U = spec.at(r, "s"), spec.at(u, "s")
    rmax = extremum(base, R, b, sense="max")
    rmin = extremum(base, R, b, sense="min")
    ustar = extremum(base, U, b, sense="max")
    for name, ext in (
        ("reward maximum", rmax),
        ("reward minimum", rmin),
        ("utility maximum", ustar),
    ):
        if ext.value is None:
            return unknown(spec, "goodhart_curve", f"{name}: {ext.reason}", clock, options)
    assert rmax.value is not None and rmin.value is not None and ustar.value is not None
    top: Extremum | None = None
    if ustar.attained:
        top = extremum(base.with_(("utility optimal", sympy.Eq(U, ustar.value))), R, b, sense="max")
    curve = GoodhartCurve(
        _points(base, R, U, rmin.value, rmax.value, points, b),
        rmin.value,
        rmax.value,
        ustar.value,
        top.value if top else None,
    )
    return _verdict(spec, curve, rmax, ustar, top, clock, options)


def _points(
    base: Problem,
    R: sympy.Basic,
    U: sympy.Basic,
    low: Fraction,
    high: Fraction,
    points: int,
    b: Budget,
) -> tuple[GoodhartPoint, ...]:
    """Worst and best utility among feasible states with reward >= t, for evenly spaced t;
    on the active :mod:`alignspec.execution` pool, in batches of consecutive points (each
    point is two exact optimisations: its figures are the same wherever it runs)."""
    ts = [low + (high - low) * Fraction(i, points - 1) for i in range(points)]
    where = execution.active()
    if where is None or where.executor is None:
        return tuple(_point(base, R, U, t, b) for t in ts)
    remaining = b.remaining()
    jobs = [
        _Points(base, R, U, tuple(batch), b.rlimit, b.timeout, remaining)
        for batch in execution.batches(ts, 2 * where.workers)
    ]
    done = dict(execution.completed(where, _run_points, jobs))
    return tuple(point for i in range(len(jobs)) for point in done[i])


def _point(base: Problem, R: sympy.Basic, U: sympy.Basic, t: Fraction, b: Budget) -> GoodhartPoint:
    band = base.with_((f"reward >= {t}", R >= t))
    worst = extremum(band, U, b, sense="min").value
    return GoodhartPoint(t, worst, extremum(band, U, b, sense="max").value)


@attrs.frozen
class _Points:
    """A batch of curve points: a picklable task.  The check's budget travels as its
    limits and the seconds left (a deadline is a reading of this machine's clock)."""

    base: Problem
    R: sympy.Basic
    U: sympy.Basic
    ts: tuple[Fraction, ...]
    rlimit: int | None
    timeout: float | None
    remaining: float | None


def _run_points(job: _Points) -> tuple[GoodhartPoint, ...]:
    budget = Budget(job.rlimit, job.timeout)
    if job.remaining is not None:
        budget = attrs.evolve(budget, deadline=time.monotonic() + job.remaining)
    with isolated(), evaluate(False):
        return tuple(_point(job.base, job.R, job.U, t, budget) for t in job.ts)


def _verdict(
    spec: Spec,
    curve: GoodhartCurve,
    rmax: Extremum,
    ustar: Extremum,
    top: Extremum | None,
    clock: Clock,
    options: dict[str, Any],
) -> Finding:
    """PROVED when a reward-optimal state is utility-optimal; VIOLATED with a replayed pair
    (reward-optimal, utility-optimal) otherwise; UNKNOWN when an optimum is not attained."""
    r, u = spec.objective, spec.utility
    assert r is not None and u is not None
    figures = {
        "reward_optimum": rmax.value,
        "intended_optimum": ustar.value,
        "goodhart_threshold": curve.goodhart_threshold,
    }
    common: dict[str, Any] = dict(
        subject=spec.label, curve=curve, figures=figures, options=options, method="smt"
    )
    undecided = dict(curve=curve, figures=figures)
    if top is None or top.value is None or not rmax.attained or not top.states or not rmax.states:
        why = "an optimum is not attained, so the threshold cannot be witnessed"
        return unknown(spec, "goodhart_curve", why, clock, options, **undecided)
    if top.value == rmax.value:
        return Finding(
            "goodhart_curve",
            Verdict.PROVED,
            f"a reward-optimal state is also utility-optimal (utility {ustar.value} "
            f"at reward {rmax.value}): pushing the reward never forces a loss",
            elapsed=clock.elapsed,
            **common,
        )
    witness = {"reward_optimal": rmax.states["s"], "utility_optimal": top.states["s"]}
    scope = spec.domain.variables
    ro, uo = witness["reward_optimal"], witness["utility_optimal"]
    if not (
        value_of(r, scope, ro) > value_of(r, scope, uo)
        and value_of(u, scope, ro) < value_of(u, scope, uo)
    ):
        why = "replay failed: the witness pair does not show the loss"
        return unknown(spec, "goodhart_curve", why, clock, options, **undecided)
    values = {role: values_at(spec, s) for role, s in witness.items()}
    message = (
        f"beyond reward {top.value} no state is utility-optimal: the reward optimum "
        f"{rmax.value} costs intended utility ({values['reward_optimal'].get('utility')} "
        f"instead of {ustar.value}):\n"
        + "\n".join(f"  {role}: {show(s)}  [{show(values[role])}]" for role, s in witness.items())
    )
    return Finding(
        "goodhart_curve",
        Verdict.VIOLATED,
        message,
        witness=witness,
        values=values,
        elapsed=clock.elapsed,
        **common,
    )

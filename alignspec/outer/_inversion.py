"""Preference inversion: two states the reward and the intent order oppositely."""

from __future__ import annotations

from alignspec.checking.convention import about, renamed
from alignspec.checking.convention import spec_label as _spec_label
from alignspec.checking.run import Clock, budget_or_default, nonnegative, unevaluated
from alignspec.engine import SAMPLES, search
from alignspec.outer._support import (
    feasible,
    from_search,
    needs,
)
from alignspec.results import Finding
from alignspec.solver import Budget, Problem
from alignspec.spec import Spec


@about(_spec_label)
@renamed(1, ("spec", "margin"))
@unevaluated
def inversion(
    spec: Spec, *, margin: object = 0, budget: Budget | None = None, samples: int = SAMPLES
) -> Finding:
    """Look for feasible s1, s2 with reward(s1) > reward(s2) + margin while
    utility(s1) < utility(s2) - margin.

    VIOLATED gives both states.  PROVED means that whenever the reward prefers one feasible
    state to another by more than ``margin``, the intent never prefers the other by more than
    ``margin``: with margin 0 the reward orders states as the intent does (it may still tie
    states the intent separates, which ``hacking`` catches).
    """
    needs(spec, "inversion", reward=True, utility=True)
    m = nonnegative(margin, "margin")
    clock = Clock()
    r, u = spec.objective, spec.utility
    assert r is not None and u is not None
    problem = Problem(
        {"s1": spec.domain, "s2": spec.domain},
        feasible(spec, "s1")
        + feasible(spec, "s2")
        + (
            ("reward prefers s1", spec.at(r, "s1") > spec.at(r, "s2") + m),
            ("intent prefers s2", spec.at(u, "s1") < spec.at(u, "s2") - m),
        ),
    )
    result = search(problem, budget_or_default(budget), samples)
    return from_search(
        spec,
        "inversion",
        result,
        problem,
        clock,
        {"margin": m},
        violated="the reward prefers s1 to s2, but the intended utility prefers s2:",
        proved="no feasible pair is ordered oppositely by reward and intended utility"
        + (f" (margin {m})" if m else ""),
    )

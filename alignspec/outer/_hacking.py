"""Reward hacking: near-optimal reward that breaks the intent."""

from __future__ import annotations

from fractions import Fraction

import sympy

from alignspec.checking.convention import about, renamed
from alignspec.checking.convention import spec_label as _spec_label
from alignspec.checking.run import Clock, budget_or_default, nonnegative, unevaluated
from alignspec.engine import SAMPLES, extremum, search
from alignspec.outer._support import (
    all_required,
    compliant,
    feasible,
    from_search,
    needs,
    unknown,
)
from alignspec.results import Finding
from alignspec.solver import Budget, Problem
from alignspec.spec import Spec


@about(_spec_label)
@renamed(1, ("spec", "epsilon", "tolerance"))
@unevaluated
def hacking(
    spec: Spec,
    *,
    epsilon: object = 0,
    tolerance: object = 0,
    budget: Budget | None = None,
    samples: int = SAMPLES,
) -> Finding:
    """Look for a feasible state within ``epsilon`` of the reward optimum that breaks a
    requirement or whose utility is more than ``tolerance`` below the best utility of any
    requirement-satisfying state.

    Figures: ``reward_optimum``, ``intended_optimum`` (best compliant utility),
    ``intended_achieved`` and ``regret`` (their difference: what an optimiser that
    gets within epsilon of the reward optimum can cost the intent in the worst case).
    PROVED means every epsilon-optimal state meets the requirements and loses at most
    ``tolerance`` utility.
    """
    needs(spec, "hacking", reward=True, utility_or_require=True)
    eps, tol = nonnegative(epsilon, "epsilon"), nonnegative(tolerance, "tolerance")
    options = {"epsilon": eps, "tolerance": tol}
    clock, b = Clock(), budget_or_default(budget)
    r, u = spec.objective, spec.utility
    assert r is not None
    space = {"s": spec.domain}
    top = extremum(Problem(space, feasible(spec, "s")), spec.at(r, "s"), b, sense="max")
    if not top.known or top.value is None:
        return unknown(spec, "hacking", f"reward optimum: {top.reason}", clock, options)
    near = ("within epsilon of the reward optimum", spec.at(r, "s") >= top.value - eps)
    figures: dict[str, Fraction | None] = {"reward_optimum": top.value}
    bad: list[sympy.Basic] = []
    extra = {}
    if spec.requirements:
        bad.append(sympy.Not(spec.at(all_required(spec), "s")))
    if u is not None:
        best = extremum(Problem(space, compliant(spec, "s")), spec.at(u, "s"), b, sense="max")
        if best.status == "unknown":
            return unknown(spec, "hacking", f"utility optimum: {best.reason}", clock, options)
        figures["intended_optimum"] = best.value
        if best.value is not None:
            bad.append(spec.at(u, "s") < best.value - tol)
            if best.states:
                extra["intended_best"] = best.states["s"]
        worst = extremum(
            Problem(space, feasible(spec, "s") + (near,)), spec.at(u, "s"), b, sense="min"
        )
        figures["intended_achieved"] = worst.value
        if best.value is not None and worst.value is not None:
            figures["regret"] = best.value - worst.value
    problem = Problem(space, feasible(spec, "s") + (near, ("breaks the intent", sympy.Or(*bad))))
    result = search(problem, b, samples)
    regret = figures.get("regret")
    return from_search(
        spec,
        "hacking",
        result,
        problem,
        clock,
        options,
        figures=figures,
        extra_witness=extra,
        violated=f"a state within epsilon={eps} of the reward optimum {top.value} breaks the "
        f"intent" + (f" (worst-case regret {regret})" if regret is not None else "") + ":",
        proved=f"every state within epsilon={eps} of the reward optimum {top.value} meets the "
        f"requirements and loses at most {tol} intended utility"
        + (f" (worst-case regret {regret})" if regret is not None else ""),
    )

"""Requirement escape: the reward pulls out of the region the intent allows."""

from __future__ import annotations

import sympy

from alignspec.checking.convention import about
from alignspec.checking.convention import spec_label as _spec_label
from alignspec.checking.run import Clock, budget_or_default, unevaluated
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
@unevaluated
def requirements(spec: Spec, *, budget: Budget | None = None, samples: int = SAMPLES) -> Finding:
    """Look for a feasible state that breaks a requirement yet earns more reward than every
    requirement-satisfying state (an optimiser of the reward would leave the allowed region).

    Figure: ``compliant_reward_optimum``, the best reward inside the requirements.
    PROVED means no such state exists.
    """
    needs(spec, "requirements", reward=True, require=True)
    clock, b = Clock(), budget_or_default(budget)
    r = spec.objective
    assert r is not None
    space = {"s": spec.domain}
    best = extremum(Problem(space, compliant(spec, "s")), spec.at(r, "s"), b, sense="max")
    if best.status == "unknown":
        return unknown(spec, "requirements", f"compliant reward optimum: {best.reason}", clock, {})
    breaks = ("breaks a requirement", sympy.Not(spec.at(all_required(spec), "s")))
    if best.value is None:
        problem = Problem(space, feasible(spec, "s") + (breaks,))
        violated = "no feasible state meets the requirements, so every state escapes them:"
    else:
        # A supremum no compliant state attains is out-earned by reaching it.
        reward = spec.at(r, "s")
        beats = (
            "out-earns every compliant state",
            reward > best.value if best.attained else reward >= best.value,
        )
        problem = Problem(space, feasible(spec, "s") + (breaks, beats))
        violated = (
            f"this state breaks a requirement and earns more reward than the best "
            f"compliant reward {best.value}:"
            if best.attained
            else f"this state breaks a requirement and earns at least {best.value}, the "
            "supremum of compliant rewards, which no compliant state attains:"
        )
    result = search(problem, b, samples)
    extra = {"best_compliant": best.states["s"]} if best.states else {}
    return from_search(
        spec,
        "requirements",
        result,
        problem,
        clock,
        {},
        figures={"compliant_reward_optimum": best.value},
        extra_witness=extra,
        violated=violated,
        proved=f"no state outside the requirements earns more than the best compliant reward "
        f"{best.value}",
    )

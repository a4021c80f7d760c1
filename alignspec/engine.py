"""How a check asks a question: solve, replay exactly, fall back to sampling, never guess.

The rules that make verdicts trustworthy live here, once:
- a model counts only after exact replay on the original expressions;
- "none exists" comes only from an UNSAT answer;
- when z3 gives up, sampling may still find (and replay) a witness; otherwise UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Literal

import attrs
import sympy

from alignspec.replay import replays
from alignspec.sampling import OutOfTime, sample_search
from alignspec.solver import Budget, Problem, maximize, solve
from alignspec.space import State
from alignspec.symbolic.evaluate import value_of
from alignspec.symbolic.rename import flatten

#: Examples the sampling fallback tries when the solver answers unknown.
SAMPLES = 1000


@attrs.frozen
class Search:
    """The answer to "is there an assignment satisfying the problem?"."""

    status: Literal["found", "none", "unknown"]
    states: dict[str, State] | None = None
    method: str = "smt"
    reason: str | None = None
    stats: dict[str, float] = attrs.field(factory=dict)


#: Denominators tried, in order, when simplifying a witness.
DENOMINATORS = (1, 2, 4, 10, 100, 1000, 10**6)
#: Values with denominators up to this are already readable and left alone.
UGLY = 1000


def simplify(states: dict[str, State], ok: Callable[[dict[str, State]], bool]) -> dict[str, State]:
    """Shorter numbers for a witness: each real value (shared by several roles: changed in
    all at once) becomes the first nearby fraction with a small denominator for which
    ``ok`` (an exact replay) still holds.  The witness stays exact and confirmed."""
    out = {role: dict(state) for role, state in states.items()}
    values = sorted(
        {
            (name, value)
            for state in out.values()
            for name, value in state.items()
            if isinstance(value, Fraction) and value.denominator > UGLY
        },
        key=str,
    )
    for name, value in values:
        holders = [r for r, state in out.items() if state.get(name) == value]
        for d in DENOMINATORS:
            short = value.limit_denominator(d)
            if short == value:
                break
            trial = {r: {**s, name: short} if r in holders else s for r, s in out.items()}
            if ok(trial):
                out = trial
                break
    return out


def search(problem: Problem, budget: Budget, samples: int = SAMPLES) -> Search:
    """Find replayed states satisfying ``problem``, or prove (UNSAT) that none exist.

    Witnesses of problems without network links are simplified (see :func:`simplify`);
    callers that link networks confirm and simplify with the network's own evaluation.
    """
    out = solve(problem, budget)
    if out.status == "unsat":
        return Search("none", stats=out.stats)
    if out.status == "sat" and out.states is not None and replays(problem, out.states):
        states = out.states
        if not problem.networks:
            states = simplify(states, lambda s: replays(problem, s))
        return Search("found", states, stats=out.stats)
    if out.status == "sat":
        reason = (
            "replay failed: the solver's model is irrational and its rational approximation "
            "does not satisfy the query"
            if not out.exact
            else "replay failed: the solver's model does not satisfy the query on exact evaluation"
        )
    else:
        reason = out.reason or "solver answered unknown"
    if samples > 0 and not budget.expired:
        try:
            hit = sample_search(problem, samples, budget)
        except OutOfTime:
            return Search("unknown", reason=f"{reason}; {budget.timeout_reason}", stats=out.stats)
        if hit is not None:
            return Search("found", hit, method="sampling", stats=out.stats)
        reason += f"; sampling found no witness in {samples} examples"
    return Search("unknown", reason=reason, stats=out.stats)


@attrs.frozen
class Extremum:
    """An exact optimum (supremum or infimum) of an objective over a problem."""

    status: Literal["optimal", "infeasible", "unknown"]
    value: Fraction | None = None
    attained: bool = False
    states: dict[str, State] | None = None
    reason: str | None = None

    @property
    def known(self) -> bool:
        return self.status == "optimal"


def extremum(
    problem: Problem, objective: sympy.Basic, budget: Budget, *, sense: Literal["max", "min"]
) -> Extremum:
    """Exact max/sup (or min/inf) of ``objective``; an attaining state is replayed."""
    sign = 1 if sense == "max" else -1
    opt = maximize(problem, sign * objective, budget)
    if opt.status != "optimal" or opt.value is None:
        return Extremum(opt.status, reason=opt.reason)
    value = sign * opt.value
    if not opt.attained:
        return Extremum("optimal", value, False)
    states = opt.states
    if (
        states is None
        or not replays(problem, states)
        or value_of(objective, problem.scope, flatten(states)) != value
    ):
        return Extremum("unknown", reason="replay failed: the optimal state did not replay")
    return Extremum("optimal", value, True, states)

"""bmc with ``horizon=None``: safety for every horizon, from an inductive invariant."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from alignspec.checking.run import Clock, budget_or_default, show
from alignspec.engine import search
from alignspec.errors import SpecError
from alignspec.mdp._inductive import NotPiecewiseAffine, search_invariant
from alignspec.mdp._trajectory import _inside
from alignspec.mdp.invariant import Invariant
from alignspec.mdp.system import TransitionSystem
from alignspec.policy.base import Policy
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget
from alignspec.spec import _conditions

if TYPE_CHECKING:
    from alignspec.mdp._bmc import _Question


def unbounded(q: _Question, bounded: int | None = None) -> Finding | None:
    """PROVED (method ``invariant``) with the invariant in ``values["invariant"]``,
    VIOLATED with an exactly replayed trajectory, or UNKNOWN with the reason.  With
    ``bounded`` (a horizon), a proof answers that bounded question too; None then means
    nothing was concluded and the caller keeps its own answer."""
    from alignspec.mdp._bmc import _violation

    assert q.policy is not None
    try:
        out = search_invariant(q.system, q.policy, q.reqs, q.budget)
    except NotPiecewiseAffine as err:
        if bounded is not None:
            return None
        return q.unknown(
            f"no invariant search for this system: {err} (unbounded proofs cover "
            "piecewise-affine closed loops)",
            method="invariant",
        )
    stats = {k: float(v) for k, v in out.stats.items()}
    model = q.system.name or "the transition system"
    if out.status == "proved":
        assert out.invariant is not None
        inv = out.invariant
        scope = (
            f"for every horizon (so for the {bounded} steps asked)"
            if bounded is not None
            else "for every horizon"
        )
        return q.finding(
            Verdict.PROVED,
            f"every trajectory from init stays inside the declared state bounds and meets "
            f"the requirements {scope}: an inductive invariant of {len(inv.rows)} linear "
            "constraints contains the start states, lies in the safe set and is closed under "
            "one closed-loop step (one exact solver query, unsat; the invariant is in "
            f"values['invariant']).  The proof is about {model}'s update as given",
            method="invariant",
            stats=stats,
            query=out.query,
            values={"invariant": inv.values()},
        )
    if out.status == "violated":
        if bounded is not None and len(out.trajectory) - 1 > bounded:
            return None
        roles = [f"t{i}" for i in range(len(out.trajectory))]
        found = dict(zip(roles, out.trajectory, strict=True))
        last = out.trajectory[-1]
        what = (
            "breaks the intent"
            if _inside(q.system, last)
            else f"leaves the declared state bounds at step {len(roles) - 1}"
        )
        plain = attrs.evolve(q, spec_r=None, int_r=None)
        return _violation(plain, found, roles, what, "sampling", stats, None)
    if bounded is not None:
        return None
    return q.unknown(out.reason, method="invariant", stats=stats)


def inductive(
    system: TransitionSystem,
    policy: Policy,
    invariant: Invariant,
    *,
    require: Iterable[object] = (),
    budget: Budget | None = None,
) -> Finding:
    """Is ``invariant`` (e.g. one a shield monitors) an inductive invariant of the closed
    loop inside the safe set that contains the start states?  PROVED from one exact query
    (unsat; the query is the certificate).  VIOLATED gives a state ``s`` of the invariant
    and its exact successor ``t`` outside it (or ``s`` itself unsafe, or a start state
    outside it), replayed exactly."""
    from alignspec.mdp._inductive import closure_query, loop_of
    from alignspec.symbolic.evaluate import holds, value_of

    clock = Clock()
    budget = budget_or_default(budget)
    if policy.domain.variables != system.domain.variables:
        raise SpecError("the policy's states and actions differ from the system's")
    if invariant.names != tuple(system.space.names):
        raise SpecError(
            f"the invariant is over {list(invariant.names)}; the system's state variables "
            f"are {list(system.space.names)} (in this order)"
        )
    if invariant.box() is None:
        raise SpecError(
            "the invariant must bound every variable from both sides by an axis row "
            "(x <= b and -x <= b'), so its states have a box"
        )
    reqs = [
        system._cond(r, system.domain, f"require[{i}]")
        for i, r in enumerate(_conditions(list(require)))
    ]
    try:
        loop = loop_of(system, policy)
    except NotPiecewiseAffine as err:
        raise SpecError(f"inductive() needs a piecewise-affine closed loop: {err}") from None
    name = system.name or "transition system"
    problem = closure_query(system, policy, loop, invariant, reqs)
    result = search(problem, budget, 0)

    def finding(verdict: Verdict, message: str, **extra: Any) -> Finding:
        return Finding("inductive", verdict, message, subject=name, elapsed=clock.elapsed, **extra)

    def unreplayed() -> Finding:  # the solver's counterexample failed exact replay
        return finding(
            Verdict.UNKNOWN,
            "inductive: the counterexample did not replay",
            reason="the counterexample did not replay exactly",
        )

    if result.status == "none":
        return finding(
            Verdict.PROVED,
            "the invariant contains the start states, lies in the safe set and is closed "
            "under one closed-loop step (exact query: unsat), so the loop is safe forever",
            method="invariant",
            stats=result.stats,
            query=problem,
        )
    if result.status != "found" or result.states is None:
        return finding(
            Verdict.UNKNOWN,
            f"inductive could not be decided: {result.reason}",
            reason=result.reason,
            stats=result.stats,
        )
    s = {n: result.states["s"][n] for n in system.space.names}
    if not _inside(system, s):  # outside the declared bounds: no action to replay there
        if not invariant.contains(s):
            return unreplayed()
        return finding(
            Verdict.VIOLATED,
            f"not an inductive safe invariant: a state of the invariant is unsafe (outside "
            f"the declared bounds): s = {show(s)}",
            witness={"s": s},
            method="smt",
            stats=result.stats,
        )
    acted = policy.with_action(s)
    scope = system.domain.variables
    t = {n: value_of(system.update[n], scope, acted) for n in system.space.names}  # type: ignore[index]
    if not invariant.contains(s):
        what = "a start state lies outside the invariant"
    elif not all(holds(r, scope, acted) for r in reqs):
        what = "a state of the invariant is unsafe (a requirement breaks)"
    elif not invariant.contains(t):
        what = "a state of the invariant steps out of it"
    else:
        return unreplayed()
    return finding(
        Verdict.VIOLATED,
        f"not an inductive safe invariant: {what}: s = {show(acted)} -> t = {show(t)}",
        witness={"s": acted, "t": t},
        method="smt",
        stats=result.stats,
    )

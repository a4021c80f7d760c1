"""bmc with ``horizon=None``: safety for every horizon, from an inductive invariant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from alignspec.mdp._inductive import NotPiecewiseAffine, search_invariant
from alignspec.mdp._trajectory import _inside
from alignspec.results import Finding, Verdict

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

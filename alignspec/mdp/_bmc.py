"""Bounded model checking of transition systems: a trajectory that games the specified
reward or breaks the intent within H steps, or a proof that none exists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
import sympy
from sympy.core.parameters import evaluate

from alignspec.actions import Actions, merge
from alignspec.checking.convention import about
from alignspec.checking.convention import system_label as _system_label
from alignspec.checking.run import Clock, budget_or_default, show
from alignspec.engine import SAMPLES, search
from alignspec.errors import OptionError, SpecError
from alignspec.mdp._reach import _interval, _OutOfTime, reachable_boxes
from alignspec.mdp._trajectory import (
    _inside,
    _number,
    _outside,
    _return,
    _trace,
    _unroll,
    _uses_action,
    _within,
)
from alignspec.mdp.model_error import ModelError
from alignspec.mdp.system import TransitionSystem
from alignspec.policy.base import Policy
from alignspec.policy.mlp import MLPPolicy
from alignspec.policy.tree import TreePolicy
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget, Problem
from alignspec.space import Real, Space, State, to_fraction
from alignspec.spec import _conditions
from alignspec.symbolic.rename import at


@attrs.frozen
class _Question:
    """A bmc question, validated: what every phase of the check reads."""

    system: TransitionSystem
    horizon: int | None
    spec_r: sympy.Basic | None
    int_r: sympy.Basic | None
    reqs: tuple[sympy.Basic, ...]
    reach: object
    below: object
    gamma: Fraction
    policy: Policy | None
    budget: Budget
    samples: int
    clock: Clock
    options: dict[str, Any]
    error: ModelError | None = None

    @property
    def subject(self) -> str:
        return self.system.name or "transition system"

    @property
    def roles(self) -> list[str]:
        assert self.horizon is not None
        return [f"t{i}" for i in range(self.horizon + 1)]

    def finding(self, verdict: Verdict, message: str, **extra: Any) -> Finding:
        return Finding(
            "bmc",
            verdict,
            message,
            subject=self.subject,
            options=self.options,
            elapsed=self.clock.elapsed,
            **extra,
        )

    def unknown(self, reason: str | None, **extra: Any) -> Finding:
        return self.finding(
            Verdict.UNKNOWN, f"bmc could not be decided: {reason}", reason=reason, **extra
        )


@about(_system_label)
def bmc(
    system: TransitionSystem,
    specified: object = None,
    intended: object = None,
    *,
    horizon: int | None,
    reach: object = None,
    below: object = None,
    require: Iterable[object] = (),
    gamma: object = 1,
    policy: Policy | None = None,
    budget: Budget | None = None,
    samples: int = SAMPLES,
    error: ModelError | None = None,
) -> Finding:
    """Bounded model checking: is there a trajectory of ``horizon`` steps from ``init`` whose
    specified return (sum of gamma^t * specified) reaches ``reach`` while the intended return
    stays below ``below`` or a requirement breaks on the way?

    For deterministic systems, leaving the declared variable bounds is a violation too: each
    step's states range over a box that soundly contains every reachable state (exact optima
    of the update, rounded outward), so no trajectory is cut off by the bounds.  For general
    relations the declared bounds are assumptions (states outside them are not considered).

    With ``policy`` (a tree, linear, network, table or expression policy over the system's
    states and actions) the actions are the policy's: a closed-loop check.  PROVED means no
    such trajectory of ``horizon`` steps exists (bounded: nothing is said beyond it).
    VIOLATED gives the trajectory (``witness["t0"]``... and ``trace``), replayed exactly.

    ``horizon=None`` asks for safety for every horizon (a policy, a piecewise-affine
    system and a box ``init`` are needed): PROVED with method ``invariant`` carries an
    inductive invariant in ``values["invariant"]`` (``alignspec.mdp.Invariant.from_finding``
    reads it; its closure query is the certificate).  A bounded question the exact
    reachable sets leave undecided is tried with an invariant too.

    ``error`` (a :class:`~alignspec.mdp.ModelError`) widens the question to every dynamics
    within a per-step error of the update inside a region, e.g. the true nonlinear system
    of a linearised update: PROVED then covers that system (decision trees on
    piecewise-affine systems; other cases are UNKNOWN with the reason).
    """
    q = _question(system, specified, intended, horizon, reach, below, require, gamma, policy)
    q = attrs.evolve(q, budget=budget_or_default(budget), samples=samples)
    if error is not None:
        return _with_error(q, error)
    if q.horizon is None:
        from alignspec.mdp._unbounded import unbounded

        found_forever = unbounded(q)
        assert found_forever is not None
        return found_forever
    if (
        policy is not None
        and reach is None
        and below is None
        and system.update is not None
        and all(not _uses_action(r, system) for r in q.reqs)
    ):
        found = _closed_loop(q)
        batch = isinstance(policy, (MLPPolicy, TreePolicy))  # fast float proposals
        if batch and (found is None or (found.verdict is Verdict.UNKNOWN and not q.budget.expired)):
            # undecided, or a policy the exact reachable sets do not take (action
            # variables): an invariant answers every horizon; its search is cheap
            from alignspec.mdp._unbounded import unbounded

            forever = unbounded(q, bounded=q.horizon)
            if forever is not None:
                return forever
        if found is not None:
            return found
    spaces: dict[str, Space] = {r: system.domain for r in q.roles}
    if system.update is not None:
        bounded = _bounded(q)
        if isinstance(bounded, Finding):
            return bounded
        spaces = bounded
    return _decide(q, _query(q, spaces))


def _question(
    system: TransitionSystem,
    specified: object,
    intended: object,
    horizon: int | None,
    reach: object,
    below: object,
    require: Iterable[object],
    gamma: object,
    policy: Policy | None,
) -> _Question:
    """Validate a bmc call: typed errors for questions that say nothing or do not fit."""
    if horizon is None:
        if policy is None or system.update is None:
            raise OptionError(
                "horizon=None (safety for every horizon) needs a deterministic system and "
                "policy=...: the invariant search follows the policy's closed loop"
            )
        if reach is not None or below is not None or specified is not None:
            raise OptionError(
                "horizon=None proves safety (declared bounds and require=) for every "
                "horizon; returns (reach=, below=, rewards) need a finite horizon"
            )
    elif isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise OptionError(f"horizon={horizon!r} must be a whole number >= 1, or None")
    dom = system.domain
    g = to_fraction(gamma, "gamma")
    spec_r = _number(system, specified, "specified")
    int_r = _number(system, intended, "intended")
    reqs = tuple(
        system._cond(r, dom, f"require[{i}]") for i, r in enumerate(_conditions(list(require)))
    )
    if below is not None and int_r is None:
        raise OptionError("below= needs an intended reward")
    if reach is not None and spec_r is None:
        raise OptionError("reach= needs a specified reward")
    if below is None and not reqs and system.update is None:
        raise OptionError("say what counts as bad: below= (intended return) or require=")
    if policy is not None and policy.domain.variables != dom.variables:
        raise SpecError("the policy's states and actions differ from the system's")
    options = {
        "horizon": horizon,
        "reach": reach,
        "below": below,
        "gamma": g,
        "policy": type(policy).__name__ if policy else None,
    }
    return _Question(
        system=system,
        horizon=horizon,
        spec_r=spec_r,
        int_r=int_r,
        reqs=reqs,
        reach=reach,
        below=below,
        gamma=g,
        policy=policy,
        budget=budget_or_default(None),
        samples=SAMPLES,
        clock=Clock(),
        options=options,
    )


def _bounded(q: _Question) -> dict[str, Space] | Finding:
    """Each step's space: a box containing every reachable state (exact optima, rounded
    outward).  A Finding when that settles the question (or cannot be computed)."""
    system = q.system
    assert q.horizon is not None
    try:
        boxes = reachable_boxes(system, q.horizon, q.budget, q.policy)
        timed_out = False
    except _OutOfTime:
        boxes, timed_out = None, True
    if boxes is None:
        why = q.budget.timeout_reason if timed_out else "the optimiser could not bound a step"
        return q.finding(
            Verdict.UNKNOWN, f"bmc could not bound the reachable states: {why}", reason=why
        )
    if q.below is None and not q.reqs and all(_within(system.space, box) for box in boxes):
        return q.finding(
            Verdict.PROVED,
            f"every state reachable in {q.horizon} steps from init stays inside the declared "
            "bounds: the reachable boxes (exact optima per step"
            + (" with the policy acting" if q.policy is not None else "")
            + ", rounded outward) never leave them (bounded: nothing is claimed beyond "
            f"{q.horizon} steps)",
            method="bounds",
        )
    return {r: merge(box, system.actions) for r, box in zip(q.roles, boxes, strict=True)}


def _query(q: _Question, spaces: dict[str, Space]) -> Problem:
    """The unrolled trajectory, and what counts as bad along it, with the policy linked."""
    system, dom, roles = q.system, q.system.domain, q.roles
    acting = roles[:-1]
    with evaluate(False):
        constraints = _unroll(system, roles)
        if q.reach is not None:
            reaches = _return(q.spec_r, dom, acting, q.gamma) >= to_fraction(q.reach, "reach")
            constraints.append(("specified return reaches the threshold", reaches))
        bad: list[sympy.Basic] = []
        if q.below is not None:
            bad.append(_return(q.int_r, dom, acting, q.gamma) < to_fraction(q.below, "below"))
        action_names = set(dom.names) - set(system.space.names)
        for req in q.reqs:
            uses_action = any(s.name in action_names for s in req.free_symbols)
            bad += [sympy.Not(at(req, dom, r)) for r in (acting if uses_action else roles)]
        if system.update is not None:
            bad += [_outside(system, r) for r in roles[1:]]
        constraints.append(
            (
                "the intent breaks: return below the threshold, a requirement "
                "broken or the declared bounds left",
                sympy.Or(*bad),
            )
        )
    problem = Problem(spaces, tuple(constraints))
    if q.policy is None:
        return problem
    from alignspec.checking.links import link

    boxes = {r: [_interval(spaces[r].variables[n]) for n in system.space.names] for r in acting}
    linked = link(q.policy, problem, acting, q.budget, boxes=boxes)
    return linked if linked is not None else problem


def _decide(q: _Question, query: Problem) -> Finding:
    """Search the query: PROVED from UNSAT, VIOLATED from a trajectory replayed exactly."""
    system, roles = q.system, q.roles
    result = search(query, q.budget, q.samples if q.policy is None else 0)
    if result.status == "none":
        kinds = [
            "breaks the intent" if (q.below is not None or q.reqs) else None,
            "leaves the declared state bounds" if system.update is not None else None,
        ]
        said = " or ".join(k for k in kinds if k)
        return q.finding(
            Verdict.PROVED,
            f"no trajectory of {q.horizon} steps from init {said} (bounded: nothing is "
            f"claimed beyond {q.horizon} steps)",
            method="smt",
            stats=result.stats,
            query=query,
        )
    if result.status == "unknown" or result.states is None:
        return q.unknown(result.reason, method=result.method, stats=result.stats, query=query)
    states = result.states
    escape = next((i for i, r in enumerate(roles) if i and not _inside(system, states[r])), None)
    kept = roles if escape is None else roles[: escape + 1]
    if q.policy is not None and not all(
        q.policy.with_action(states[r]) == states[r] for r in kept[:-1]
    ):
        return q.unknown("replay failed: the policy's own evaluation disagrees with its encoding")
    if escape is None:
        what = "games the specified reward" if q.reach is not None else "breaks the intent"
    else:
        what = f"leaves the declared state bounds at step {escape}"
    found = {r: states[r] for r in kept}
    return _violation(q, found, kept, what, result.method, result.stats, query)


def _with_error(q: _Question, error: ModelError) -> Finding:
    """bmc over every dynamics within ``error`` of the update (exact sets, trees)."""
    if not isinstance(error, ModelError):
        raise OptionError(f"error={error!r} must be an alignspec.mdp.ModelError")
    unknown_vars = sorted((set(error.bounds) | set(error.region)) - set(q.system.space.names))
    if unknown_vars:
        raise SpecError(
            f"the model error names {unknown_vars}, not state variables of "
            f"{list(q.system.space.names)}"
        )
    q = attrs.evolve(q, error=error, options={**q.options, "error": error.about})
    if q.policy is None or q.horizon is None or q.reach is not None or q.below is not None:
        return q.unknown(
            "a model error is handled for bounded closed-loop safety questions (policy=, "
            "a horizon, no reach/below); unbounded proofs take the update as given"
        )
    found = _closed_loop(q)
    if found is None:
        return q.unknown(
            "a model error is handled by the exact reachable sets only: decision trees "
            "choosing finite actions of an update affine in the state per action"
        )
    return found


def _closed_loop(q: _Question) -> Finding | None:
    """Networks or trees in the loop of a piecewise-affine system: exact affine reachable
    sets per action sequence, the network's choices from sound bounds, a tree's exactly
    (alignspec.neural.reach).
    None when the system is of another kind."""
    from alignspec.neural.reach import closed_loop
    from alignspec.policy.mlp import MLPPolicy
    from alignspec.policy.tree import TreePolicy

    system, horizon = q.system, q.horizon
    assert horizon is not None
    if not isinstance(q.policy, (MLPPolicy, TreePolicy)):
        return None
    names = list(system.space.names)
    error = region = None
    if q.error is not None:
        if any(_uses_action(r, system) for r in q.reqs):
            return None
        error = [q.error.bounds.get(n, Fraction(0)) for n in names]
        declared = [_interval(system.space.variables[n]) for n in names]
        region = [q.error.region.get(n, d) for n, d in zip(names, declared, strict=True)]
    if isinstance(q.policy, TreePolicy) and q.error is None and not q.reqs and horizon > 20:
        cells = _core_cells(q)
        if cells is not None:
            return cells
    out = closed_loop(system, q.policy, horizon, q.reqs, q.budget, error=error, region=region)
    if out is None:
        return None
    stats = {"start_boxes": out.boxes, "seconds": round(out.seconds, 6)}
    if out.status == "proved":
        return q.finding(
            Verdict.PROVED,
            f"no trajectory of {horizon} steps from init leaves the declared state bounds "
            "or breaks a requirement: exact affine reachable sets per action sequence, the "
            + (
                "tree's possible actions exact from its linear leaf tests"
                if isinstance(q.policy, TreePolicy)
                else "network's possible actions from sound bounds"
            )
            + ", over "
            f"{out.boxes} start boxes (bounded: nothing is claimed beyond {horizon} steps)"
            + _model_note(q),
            method="bounds",
            stats=stats,
        )
    if out.status == "unknown":
        return q.unknown(out.reason, method="bounds", stats=stats)
    roles = [f"t{i}" for i in range(len(out.trajectory))]
    found = dict(zip(roles, out.trajectory, strict=True))
    last = out.trajectory[-1]
    what = (
        "breaks the intent"
        if _inside(system, last)
        else f"leaves the declared state bounds at step {len(roles) - 1}"
    )
    # the simulated trajectory carries no rewards: the trace shows states and requirements
    plain = attrs.evolve(q, spec_r=None, int_r=None, gamma=Fraction(1))
    return _violation(plain, found, roles, what, "sampling", stats, None)


def _core_cells(q: _Question) -> Finding | None:
    """Long horizons for a tree reading a closed core of the state: grid cells for the core,
    intervals for the driven rest (alignspec.mdp._cells).  A Finding only when proved."""
    from alignspec.mdp._cells import cell_reach
    from alignspec.neural.reach import _NotAffine, _start, _updates

    system, policy = q.system, q.policy
    assert isinstance(policy, TreePolicy) and q.horizon is not None
    if not isinstance(policy.actions, Actions) or system.update is None:
        return None
    names = list(system.space.names)
    if not all(isinstance(v, Real) for v in system.space.variables.values()):
        return None
    try:
        updates = _updates(system, names, policy.actions)
        start = _start(system, names)
    except _NotAffine:
        return None
    pieces = {a: (u.A, u.c) for a, u in updates.items()}
    out = cell_reach(system, policy, names, pieces, start, q.horizon, q.budget)
    if out is None or out.status != "proved":
        return None
    return q.finding(
        Verdict.PROVED,
        f"no trajectory of {q.horizon} steps from init leaves the declared state bounds: the "
        f"tree reads only {list(out.core)}, whose closed-loop states lie in grid cells "
        f"reachable step by step ({out.cells} cells, exact tree choices, images widened past "
        "float rounding), and the other variables in intervals driven by them (bounded: "
        f"nothing is claimed beyond {q.horizon} steps)" + _model_note(q),
        method="bounds",
        stats={"cells": out.cells},
    )


def _model_note(q: _Question) -> str:
    """Which dynamics a closed-loop proof is about."""
    name = q.system.name or "the transition system"
    if q.error is None:
        return f".  The proof is about {name}'s update as given"
    bounds = ", ".join(f"|error of {k}| <= {v}" for k, v in q.error.bounds.items() if v)
    region = ", ".join(f"{k} in [{a}, {b}]" for k, (a, b) in q.error.region.items())
    return (
        f".  The proof covers every dynamics within a per-step error of {name}'s update "
        f"({bounds or 'none'}) while the states stay in the region ({region or 'declared'}"
        f", checked): so it covers {q.error.about}"
    )


def _violation(
    q: _Question,
    found: Mapping[str, State],
    roles: Sequence[str],
    what: str,
    method: str,
    stats: dict[str, float],
    query: Problem | None,
) -> Finding:
    system = q.system
    states = dict(found)
    # the last state takes no action: drop its free choice
    states[roles[-1]] = {n: states[roles[-1]][n] for n in system.space.names}
    trace = _trace(found, roles, q.spec_r, q.int_r, q.reqs, system.domain, q.gamma)
    lines = [f"a trajectory of {len(roles) - 1} steps that {what}:"] + [
        f"  {role}: {show(states[role])}" for role in roles
    ]
    return q.finding(
        Verdict.VIOLATED,
        "\n".join(lines),
        witness=states,
        method=method,
        stats=stats,
        trace=trace,
        query=query,
        values={"returns": {k: v for k, v in trace[-1].items() if k.endswith("return")}},
    )

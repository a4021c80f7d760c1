"""Bounded model checking of transition systems: a trajectory that games the specified
reward or breaks the intent within H steps, or a proof that none exists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy
from sympy.core.parameters import evaluate

from alignspec.actions import merge
from alignspec.checking.convention import about
from alignspec.checking.convention import system_label as _system_label
from alignspec.checking.run import Clock, budget_or_default, show
from alignspec.engine import SAMPLES, search
from alignspec.errors import OptionError, SpecError
from alignspec.mdp._reach import _interval, _OutOfTime, reachable_boxes
from alignspec.mdp.system import TransitionSystem
from alignspec.policy.base import Policy
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget, Problem
from alignspec.space import Int, Real, Space, State, to_fraction
from alignspec.spec import _conditions
from alignspec.symbolic.evaluate import holds, value_of
from alignspec.symbolic.rename import at
from alignspec.symbolic.shape import checked


@about(_system_label)
def bmc(
    system: TransitionSystem,
    specified: object = None,
    intended: object = None,
    *,
    horizon: int,
    reach: object = None,
    below: object = None,
    require: Iterable[object] = (),
    gamma: object = 1,
    policy: Policy | None = None,
    budget: Budget | None = None,
    samples: int = SAMPLES,
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
    """
    if horizon < 1:
        raise OptionError(f"horizon={horizon} must be >= 1")
    clock, b = Clock(), budget_or_default(budget)
    g = to_fraction(gamma, "gamma")
    dom = system.domain
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
    subject = system.name or "transition system"
    roles = [f"t{i}" for i in range(horizon + 1)]
    acting = roles[:-1]
    if (
        policy is not None
        and reach is None
        and below is None
        and system.update is not None
        and all(not _uses_action(r, system) for r in reqs)
    ):
        found = _closed_loop(system, policy, horizon, reqs, b, subject, options, clock)
        if found is not None:
            return found
    spaces: dict[str, Space] = {r: dom for r in roles}
    if system.update is not None:
        try:
            boxes = reachable_boxes(system, horizon, b, policy)
            timed_out = False
        except _OutOfTime:
            boxes, timed_out = None, True
        if boxes is None:
            why = b.timeout_reason if timed_out else "the optimiser could not bound a step"
            return Finding(
                "bmc",
                Verdict.UNKNOWN,
                f"bmc could not bound the reachable states: {why}",
                subject=subject,
                reason=why,
                options=options,
                elapsed=clock.elapsed,
            )
        spaces = {r: merge(box, system.actions) for r, box in zip(roles, boxes, strict=True)}
        if below is None and not reqs and all(_within(system.space, box) for box in boxes):
            return Finding(
                "bmc",
                Verdict.PROVED,
                f"every state reachable in {horizon} steps from init stays inside the declared "
                "bounds: the reachable boxes (exact optima per step"
                + (" with the policy acting" if policy is not None else "")
                + ", rounded outward) never leave them (bounded: nothing is claimed beyond "
                f"{horizon} steps)",
                subject=subject,
                method="bounds",
                options=options,
                elapsed=clock.elapsed,
            )
    with evaluate(False):
        constraints = _unroll(system, roles)
        if reach is not None:
            constraints.append(
                (
                    "specified return reaches the threshold",
                    _return(spec_r, dom, acting, g) >= to_fraction(reach, "reach"),
                )
            )
        bad: list[sympy.Basic] = []
        if below is not None:
            bad.append(_return(int_r, dom, acting, g) < to_fraction(below, "below"))
        action_names = set(dom.names) - set(system.space.names)
        for req in reqs:
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
    query: Problem = problem
    if policy is not None:
        from alignspec.checking.links import link

        linked = link(
            policy,
            problem,
            acting,
            b,
            boxes={
                r: [_interval(spaces[r].variables[n]) for n in system.space.names] for r in acting
            },
        )
        if linked is not None:
            query = linked
    result = search(query, b, samples if policy is None else 0)
    if result.status == "none":
        kinds = [
            "breaks the intent" if (below is not None or reqs) else None,
            "leaves the declared state bounds" if system.update is not None else None,
        ]
        said = " or ".join(k for k in kinds if k)
        return Finding(
            "bmc",
            Verdict.PROVED,
            f"no trajectory of {horizon} steps from init {said} (bounded: nothing is "
            f"claimed beyond {horizon} steps)",
            subject=subject,
            method="smt",
            options=options,
            stats=result.stats,
            elapsed=clock.elapsed,
            query=query,
        )
    if result.status == "unknown" or result.states is None:
        return Finding(
            "bmc",
            Verdict.UNKNOWN,
            f"bmc could not be decided: {result.reason}",
            subject=subject,
            reason=result.reason,
            method=result.method,
            options=options,
            stats=result.stats,
            elapsed=clock.elapsed,
            query=query,
        )
    states = result.states
    escape = next((i for i, r in enumerate(roles) if i and not _inside(system, states[r])), None)
    kept = roles if escape is None else roles[: escape + 1]
    if policy is not None and not all(
        policy.with_action(states[r]) == states[r] for r in kept[:-1]
    ):
        reason = "replay failed: the policy's own evaluation disagrees with its encoding"
        return Finding(
            "bmc",
            Verdict.UNKNOWN,
            f"bmc could not be decided: {reason}",
            subject=subject,
            reason=reason,
            options=options,
            elapsed=clock.elapsed,
        )
    if escape is None:
        what = "games the specified reward" if reach is not None else "breaks the intent"
    else:
        what = f"leaves the declared state bounds at step {escape}"
    return _violation(
        system,
        {r: states[r] for r in kept},
        kept,
        what,
        spec_r,
        int_r,
        reqs,
        dom,
        g,
        subject,
        result.method,
        options,
        result.stats,
        clock,
        query,
    )


def _uses_action(cond: sympy.Basic, system: TransitionSystem) -> bool:
    return any(s.name not in system.space.variables for s in cond.free_symbols)


def _closed_loop(
    system: TransitionSystem,
    policy: Policy,
    horizon: int,
    reqs: Sequence[sympy.Basic],
    budget: Budget,
    subject: str,
    options: dict[str, Any],
    clock: Clock,
) -> Finding | None:
    """Networks in the loop of a piecewise-affine system: exact affine reachable sets per
    action sequence, the network's choices from sound bounds (alignspec.neural.reach).
    None when the system is of another kind."""
    from alignspec.neural.reach import closed_loop
    from alignspec.policy.mlp import MLPPolicy

    if not isinstance(policy, MLPPolicy):
        return None
    out = closed_loop(system, policy, horizon, reqs, budget)
    if out is None:
        return None
    stats = {"start_boxes": out.boxes, "seconds": round(out.seconds, 6)}
    if out.status == "proved":
        return Finding(
            "bmc",
            Verdict.PROVED,
            f"no trajectory of {horizon} steps from init leaves the declared state bounds "
            "or breaks a requirement: exact affine reachable sets per action sequence, the "
            "network's possible actions from sound bounds, over "
            f"{out.boxes} start boxes (bounded: nothing is claimed beyond {horizon} steps)",
            subject=subject,
            method="bounds",
            options=options,
            stats=stats,
            elapsed=clock.elapsed,
        )
    if out.status == "unknown":
        return Finding(
            "bmc",
            Verdict.UNKNOWN,
            f"bmc could not be decided: {out.reason}",
            subject=subject,
            reason=out.reason,
            method="bounds",
            options=options,
            stats=stats,
            elapsed=clock.elapsed,
        )
    roles = [f"t{i}" for i in range(len(out.trajectory))]
    found = dict(zip(roles, out.trajectory, strict=True))
    last = out.trajectory[-1]
    what = (
        "breaks the intent"
        if _inside(system, last)
        else f"leaves the declared state bounds at step {len(roles) - 1}"
    )
    return _violation(
        system,
        found,
        roles,
        what,
        None,
        None,
        reqs,
        system.domain,
        Fraction(1),
        subject,
        "sampling",
        options,
        stats,
        clock,
        None,
    )


def _within(declared: Space, box: Space) -> bool:
    for name, var in declared.variables.items():
        inner = box.variables[name]
        if (
            isinstance(var, (Real, Int))
            and isinstance(inner, (Real, Int))
            and not (var.lo <= inner.lo and inner.hi <= var.hi)
        ):
            return False
    return True


def _outside(system: TransitionSystem, role: str) -> sympy.Basic:
    parts = []
    for name, var in system.space.variables.items():
        if isinstance(var, (Real, Int)):
            x = at(system.space.symbols[name], system.domain, role)
            parts += [x < sympy.Rational(str(var.lo)), x > sympy.Rational(str(var.hi))]
    return sympy.Or(*parts)


def _inside(system: TransitionSystem, state: State) -> bool:
    try:
        system.space.check_state({n: state[n] for n in system.space.names})
    except SpecError:
        return False
    return True


def _unroll(system: TransitionSystem, roles: Sequence[str]) -> list[tuple[str, sympy.Basic]]:
    out = [("init", at(system.init, system.domain, roles[0]))]
    out += [
        (f"step {i}", system.step_condition(roles[i], roles[i + 1])) for i in range(len(roles) - 1)
    ]
    return out


def _violation(
    system: TransitionSystem,
    found: Mapping[str, State],
    roles: Sequence[str],
    what: str,
    spec_r: sympy.Basic | None,
    int_r: sympy.Basic | None,
    reqs: Sequence[sympy.Basic],
    dom: Space,
    g: Fraction,
    subject: str,
    method: str,
    options: dict[str, Any],
    stats: dict[str, float],
    clock: Clock,
    query: Problem | None,
) -> Finding:
    states = dict(found)
    # the last state takes no action: drop its free choice
    states[roles[-1]] = {n: states[roles[-1]][n] for n in system.space.names}
    trace = _trace(found, roles, spec_r, int_r, reqs, dom, g)
    lines = [f"a trajectory of {len(roles) - 1} steps that {what}:"] + [
        f"  {role}: {show(states[role])}" for role in roles
    ]
    return Finding(
        "bmc",
        Verdict.VIOLATED,
        "\n".join(lines),
        subject=subject,
        witness=states,
        method=method,
        options=options,
        stats=stats,
        elapsed=clock.elapsed,
        trace=trace,
        query=query,
        values={"returns": {k: v for k, v in trace[-1].items() if k.endswith("return")}},
    )


def _number(system: TransitionSystem, expr: object, what: str) -> sympy.Basic | None:
    return None if expr is None else checked(expr, system.domain, what, condition=False)


def _return(
    expr: sympy.Basic | None, dom: Space, roles: Sequence[str], gamma: Fraction
) -> sympy.Basic:
    if expr is None:
        return sympy.Integer(0)
    return sympy.Add(
        *[
            sympy.Rational(gamma.numerator**i, gamma.denominator**i) * at(expr, dom, r)
            for i, r in enumerate(roles)
        ]
    )


def _trace(
    states: Mapping[str, State],
    roles: Sequence[str],
    spec_r: sympy.Basic | None,
    int_r: sympy.Basic | None,
    reqs: Sequence[sympy.Basic],
    dom: Space,
    gamma: Fraction,
) -> tuple[dict[str, Any], ...]:
    out = []
    spec_ret = int_ret = Fraction(0)
    weight = Fraction(1)
    for i, role in enumerate(roles):
        state = states[role]
        step: dict[str, Any] = {"t": i}
        if i < len(roles) - 1:
            if spec_r is not None:
                spec_ret += weight * value_of(spec_r, dom.variables, state)
            if int_r is not None:
                int_ret += weight * value_of(int_r, dom.variables, state)
            weight *= gamma
        broken = [str(r) for r in reqs if not holds(r, dom.variables, state)]
        if broken:
            step["broken"] = "; ".join(broken)
        step["specified_return"] = spec_ret
        step["intended_return"] = int_ret
        out.append(step)
    return tuple(out)

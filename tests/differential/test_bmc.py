"""Bounded model checking over TransitionSystems (deterministic updates and general
relations, with and without a policy in the loop) against enumeration of every
trajectory."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import given

import alignspec as al
from alignspec import mdp

from . import evaluator as ev
from . import harness as H
from . import known
from .generators import TSCase, ts_cases
from .harness import call, examples, mismatch
from .oracles import Mismatch, TSTruth, in_space


def _known_exc(case: TSCase):  # type: ignore[no-untyped-def]
    return lambda e: known.exception_signature(
        e, pol=case.pol, exprs=(case.specified, case.intended), conds=tuple(case.require)
    )


def run_bmc(case: TSCase) -> None:
    system = call("TransitionSystem", case.build, case.repro, _known_exc(case))
    if system is None:
        return
    policy = None
    if case.pol is not None:
        policy = call("policy", case.pol.build, case.repro, _known_exc(case))
        if policy is None:
            return
    f = call(
        "bmc" + ("+policy" if policy is not None else ""),
        lambda: mdp.bmc(
            system,
            case.specified,
            case.intended,
            horizon=case.horizon,
            reach=case.reach,
            below=case.below,
            require=case.require,
            gamma=case.gamma,
            policy=policy,
            budget=H.BUDGET,
            samples=H.SAMPLES,
        ),
        case.repro,
        _known_exc(case),
    )
    if f is None:
        return
    truth = TSTruth(case)
    try:
        _validate(case, truth, f)
    except Mismatch as m:
        sig = (
            "(c) ExprPolicy with Eq(bool, 0/1) conditions"
            if known.bool_eq_condition(case.pol)
            else None
        )
        mismatch("bmc", str(m), case.repro, f, sig)


def _validate(case: TSCase, truth: TSTruth, f: al.Finding) -> None:
    if f.verdict is al.Verdict.PROVED:
        cex = truth.counterexample()
        if cex is not None:
            rs, ri = truth.returns(cex)
            raise Mismatch(
                f"wrong PROVED: trajectory {[(s, a) for s, a in cex]} has specified return {rs}, "
                f"intended return {ri} and breaks the intent (or leaves the declared bounds)"
            )
        return
    if f.verdict is not al.Verdict.VIOLATED:
        return
    w = f.witness or {}
    roles = [f"t{i}" for i in range(case.horizon + 1) if f"t{i}" in w]
    if not roles or roles != [f"t{i}" for i in range(len(roles))]:
        raise Mismatch(f"witness roles {sorted(w)} are not t0, t1, ...")
    traj: list[tuple[dict, Any]] = []
    for i, r in enumerate(roles):
        st = dict(w[r])
        a = st.pop(truth.name, None) if i < len(roles) - 1 else None
        if i < len(roles) - 1 and a not in truth.labels:
            raise Mismatch(f"witness {r}: action {a!r} is not one of {truth.labels}")
        if set(st) != set(truth.vars):
            raise Mismatch(f"witness {r} has variables {sorted(st)}")
        traj.append((st, a))
    s0 = traj[0][0]
    if in_space(truth.vars, s0) or not ev.truth(case.init, s0):
        raise Mismatch(f"witness t0 {s0} is not an initial state inside the declared bounds")
    for i in range(len(traj) - 1):
        s, a = traj[i]
        if i > 0 and not truth.inside(s):
            raise Mismatch(
                f"witness t{i} {s} lies outside the declared bounds but is not the last state"
            )
        if case.pol is not None and str(case.pol.act(dict(s))) != a:
            raise Mismatch(
                f"witness t{i}: action {a}, but the policy takes {case.pol.act(dict(s))} at {s}"
            )
        nxt = traj[i + 1][0]
        if case.update is not None:
            want = truth.successors(s, a)[0]
            if {k: Fraction(v) for k, v in nxt.items()} != {
                k: Fraction(v) for k, v in want.items()
            }:
                raise Mismatch(f"witness step {i}: {s} -{a}-> {nxt}, the update gives {want}")
        else:
            if nxt not in truth.successors(s, a):
                raise Mismatch(
                    f"witness step {i}: {s} -{a}-> {nxt} is not a transition (or leaves the bounds)"
                )
    last = traj[-1][0]
    if len(traj) < case.horizon + 1:
        if case.update is None or truth.inside(last):
            raise Mismatch(
                f"witness stops after {len(traj) - 1} of {case.horizon} steps inside the bounds"
            )
        return  # leaving the declared bounds is the violation
    if not truth.bad(traj):
        rs, ri = truth.returns(traj)
        raise Mismatch(
            f"witness trajectory does not violate: specified return {rs} "
            f"(reach {case.reach}), intended return {ri} (below {case.below})"
        )
    rs, ri = truth.returns(traj)
    last_step = f.trace[-1] if f.trace else {}
    if last_step and (
        last_step.get("specified_return") != (rs if case.specified is not None else 0)
        or last_step.get("intended_return") != (ri if case.intended is not None else 0)
    ):
        raise Mismatch(f"trace returns {last_step} != {rs}, {ri}")


@examples(40, 2000)
@given(case=ts_cases(policy=False))
def test_bmc_open_loop(case: TSCase) -> None:
    """bmc over every action sequence: deterministic updates (leaving the bounds counts)
    and general transition relations."""
    run_bmc(case)


@examples(35, 1500)
@given(case=ts_cases(policy=True))
def test_bmc_closed_loop(case: TSCase) -> None:
    """bmc with a policy in the loop (decision list, tree, linear, network, table)."""
    run_bmc(case)

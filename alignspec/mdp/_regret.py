"""What optimising the specified reward costs the intended one (exact)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from alignspec.checking.convention import about
from alignspec.checking.convention import mdp_label as _mdp_label
from alignspec.checking.run import Clock, nonnegative
from alignspec.mdp._common import _describe, _rewards
from alignspec.mdp.model import MDP, RewardLike
from alignspec.mdp.returns import Strategy, optimal, q_values, start_value, values
from alignspec.results import Finding, Verdict, number_text


def _trace(
    mdp: MDP,
    strategy: Strategy,
    ts: list[list[list[Fraction]]],
    ti: list[list[list[Fraction]]],
    steps: int,
) -> tuple[dict[str, Any], ...]:
    """The most likely path of a policy from the most likely initial state."""
    s = max(mdp.init, key=lambda x: x[1])[0]
    out = []
    spec_ret = int_ret = Fraction(0)
    weight = Fraction(1)
    for t in range(steps):
        if s in mdp.terminal:
            break
        a, pa = max(strategy[s], key=lambda x: x[1])
        k, (s2, p) = max(enumerate(mdp.P[s][a]), key=lambda x: x[1][1])
        spec_ret += weight * ts[s][a][k]
        int_ret += weight * ti[s][a][k]
        out.append(
            {
                "t": t,
                "state": str(mdp.states[s]),
                "action": str(mdp.actions[a]),
                "next": str(mdp.states[s2]),
                "probability": p * pa,
                "specified": ts[s][a][k],
                "intended": ti[s][a][k],
                "specified_return": spec_ret,
                "intended_return": int_ret,
            }
        )
        weight *= mdp.gamma
        s = s2
    return tuple(out)


@about(_mdp_label)
def regret(
    mdp: MDP, specified: RewardLike, intended: RewardLike, *, tolerance: object = 0, steps: int = 20
) -> Finding:
    """What optimising the specified reward costs the intended one, exactly.

    Among the policies optimal for the specified reward (ties included), the one worst for
    the intended reward; its intended return, the intended optimum, and the gap
    (``regret``).  VIOLATED when the gap exceeds ``tolerance``: the witness is that policy
    and ``trace`` its most likely path with both returns along it.  PROVED when every
    specified-optimal policy is intended-optimal (exact rational policy iteration).
    """
    clock = Clock()
    tol = nonnegative(tolerance, "tolerance")
    rs, ri, ts, ti = _rewards(mdp, specified, intended)
    spec_policy, vs = optimal(mdp, rs)
    allowed = []
    for s in range(mdp.n_states):
        q = q_values(mdp, rs, vs, s)
        allowed.append([a for a in range(mdp.n_actions) if q[a] == vs[s]] or [spec_policy[s]])
    worst, _ = optimal(mdp, ri, sense="min", allowed=allowed)
    best_tied, _ = optimal(mdp, ri, sense="max", allowed=allowed)
    _, vi = optimal(mdp, ri)
    strategy = [[(a, Fraction(1))] for a in worst]
    j_worst = start_value(mdp, values(mdp, strategy, ri))
    j_tied_best = start_value(mdp, values(mdp, [[(a, Fraction(1))] for a in best_tied], ri))
    j_star = start_value(mdp, vi)
    gap = j_star - j_worst
    figures = {
        "reward_optimum": start_value(mdp, vs),
        "intended_achieved": j_worst,
        "intended_optimum": j_star,
        "regret": gap,
        "regret_best_tie": j_star - j_tied_best,
    }
    options = {"tolerance": tol}
    if gap <= tol:
        return Finding(
            "regret",
            Verdict.PROVED,
            f"every policy optimal for the specified reward is within {number_text(tol)} of the "
            f"intended optimum {number_text(j_star)} (exact policy iteration)",
            figures=figures,
            options=options,
            method="exact",
            elapsed=clock.elapsed,
        )
    trace = _trace(mdp, strategy, ts, ti, steps)
    shown = trace[:8]
    path = (
        " -> ".join([shown[0]["state"]] + [f"{st['action']} -> {st['next']}" for st in shown])
        + (" -> ..." if len(trace) > 8 else "")
        if trace
        else "(starts terminal)"
    )
    return Finding(
        "regret",
        Verdict.VIOLATED,
        f"optimising the specified reward costs {number_text(gap)} of intended return (intended "
        f"optimum {number_text(j_star)}, the specified-optimal policy gets "
        f"{number_text(j_worst)}); its most likely path: {path}",
        witness={"policy": _describe(mdp, strategy)},
        values={"policy": {"specified": figures["reward_optimum"], "intended": j_worst}},
        figures=figures,
        options=options,
        method="exact",
        elapsed=clock.elapsed,
        trace=trace,
    )

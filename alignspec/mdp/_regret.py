"""What optimising the specified reward costs the intended one (exact)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from alignspec.checking.convention import about
from alignspec.checking.convention import mdp_label as _mdp_label
from alignspec.checking.run import Clock, nonnegative
from alignspec.errors import OptionError
from alignspec.mdp._common import _describe, _rewards, timed, unknown
from alignspec.mdp._regret_bounds import Regret, regret_bounds
from alignspec.mdp.intervals import EXACT_FALLBACK, INTERVAL_STATES, interval_text
from alignspec.mdp.model import MDP, RewardLike, reward_function
from alignspec.mdp.returns import Strategy, optimal, optimal_ties, start_value
from alignspec.results import Finding, Verdict, number_text
from alignspec.solver import Budget


def _trace(
    mdp: MDP,
    strategy: Strategy,
    specified: Callable[[int, int, int], Fraction],
    intended: Callable[[int, int, int], Fraction],
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
        s2, p = max(mdp.P[s][a], key=lambda x: x[1])
        earned, meant = specified(s, a, s2), intended(s, a, s2)
        spec_ret += weight * earned
        int_ret += weight * meant
        out.append(
            {
                "t": t,
                "state": str(mdp.states[s]),
                "action": str(mdp.actions[a]),
                "next": str(mdp.states[s2]),
                "probability": p * pa,
                "specified": earned,
                "intended": meant,
                "specified_return": spec_ret,
                "intended_return": int_ret,
            }
        )
        weight *= mdp.gamma
        s = s2
    return tuple(out)


@about(_mdp_label)
@timed("regret")
def regret(
    mdp: MDP,
    specified: RewardLike,
    intended: RewardLike,
    *,
    tolerance: object = 0,
    steps: int = 20,
    exact: bool | None = None,
    budget: Budget | None = None,
) -> Finding:
    """What optimising the specified reward costs the intended one.

    Among the policies optimal for the specified reward (ties included), the one worst for
    the intended reward; its intended return, the intended optimum, and the gap
    (``regret``).  VIOLATED when the gap exceeds ``tolerance``: the witness is that policy
    and ``trace`` its most likely path with both returns along it.  PROVED when every
    specified-optimal policy is within ``tolerance`` of the intended optimum.

    ``exact=True``: exact rational policy iteration (figures are exact).  ``exact=False``:
    certified value intervals only (discounted models; figures are ``*_lower`` /
    ``*_upper`` bounds; UNKNOWN when they cannot separate near-ties or straddle the
    tolerance).  By default, intervals decide discounted models above ``INTERVAL_STATES``
    states, and exact iteration takes over when they cannot (up to ``EXACT_FALLBACK``).
    ``budget``: its wall-clock ``timeout`` bounds the whole check (UNKNOWN, "timeout
    after N s", once spent); nothing here queries a solver, so its rlimit is unused.
    """
    clock = Clock()
    tol = nonnegative(tolerance, "tolerance")
    if exact is False and not mdp.gamma < 1:
        raise OptionError(
            "regret(exact=False) uses value intervals, which need a discount gamma < 1; "
            "episodic models (gamma = 1) are solved exactly: leave exact unset"
        )
    rs, ri = _rewards(mdp, specified, intended)
    options: dict[str, Any] = {"tolerance": tol}
    by_intervals = exact is False or (
        exact is None and mdp.gamma < 1 and mdp.n_states > INTERVAL_STATES
    )
    if by_intervals:
        outcome = regret_bounds(mdp, rs, ri, tol)
        if not isinstance(outcome, str):
            return _finding(mdp, specified, intended, outcome, options, steps, clock)
        if exact is False or mdp.n_states > EXACT_FALLBACK:
            reason = (
                f"{outcome}; exact=True forces exact rational policy iteration "
                f"(slow at {mdp.n_states} states)"
            )
            return unknown("regret", reason, clock, options, method="bounds")
    return _finding(mdp, specified, intended, _exact_regret(mdp, rs, ri), options, steps, clock)


def _exact_regret(mdp: MDP, rs: list[list[Fraction]], ri: list[list[Fraction]]) -> Regret:
    """The regret by exact rational policy iteration."""
    _, vs, allowed = optimal_ties(mdp, rs)
    # optimal() returns the exact values of the policy it returns
    worst, v_worst = optimal(mdp, ri, sense="min", allowed=allowed)
    _, v_tied_best = optimal(mdp, ri, sense="max", allowed=allowed)
    _, vi = optimal(mdp, ri)
    j_worst = start_value(mdp, v_worst)
    j_tied_best = start_value(mdp, v_tied_best)
    j_star = start_value(mdp, vi)
    gap = j_star - j_worst
    return Regret(
        worst,
        {
            "reward_optimum": start_value(mdp, vs),
            "intended_achieved": j_worst,
            "intended_optimum": j_star,
            "regret": gap,
            "regret_best_tie": j_star - j_tied_best,
        },
        gap,
        gap,
        "exact",
        "exact policy iteration",
    )


def _finding(
    mdp: MDP,
    specified: RewardLike,
    intended: RewardLike,
    found: Regret,
    options: dict[str, Any],
    steps: int,
    clock: Clock,
) -> Finding:
    tol = options["tolerance"]
    figures = found.figures
    if found.upper <= tol:
        return Finding(
            "regret",
            Verdict.PROVED,
            f"every policy optimal for the specified reward is within {number_text(tol)} of the "
            f"intended optimum {_shown(figures, 'intended_optimum')} ({found.how})",
            figures=figures,
            options=options,
            method=found.method,
            elapsed=clock.elapsed,
        )
    assert found.lower > tol, "regret_bounds decides only separated cases"
    strategy = [[(a, Fraction(1))] for a in found.policy]
    trace = _trace(
        mdp,
        strategy,
        reward_function(mdp, specified, "specified reward"),
        reward_function(mdp, intended, "intended reward"),
        steps,
    )
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
        f"optimising the specified reward costs {_shown(figures, 'regret')} of intended return "
        f"(intended optimum {_shown(figures, 'intended_optimum')}, the specified-optimal policy "
        f"gets {_shown(figures, 'intended_achieved')}; {found.how}); its most likely path: {path}",
        witness={"policy": _describe(mdp, strategy)},
        values={"policy": _policy_values(figures)},
        figures=figures,
        options=options,
        method=found.method,
        elapsed=clock.elapsed,
        trace=trace,
    )


def _policy_values(figures: dict[str, Any]) -> dict[str, Any]:
    """The witness policy's returns: exact, or their certified bounds."""
    out = {}
    for role, key in (("specified", "reward_optimum"), ("intended", "intended_achieved")):
        if key in figures:
            out[role] = figures[key]
        else:
            out[f"{role}_lower"], out[f"{role}_upper"] = (
                figures[f"{key}_lower"],
                figures[f"{key}_upper"],
            )
    return out


def _shown(figures: dict[str, Any], key: str) -> str:
    """An exact figure, or its certified interval."""
    if key in figures:
        return number_text(figures[key])
    return interval_text(figures[f"{key}_lower"], figures[f"{key}_upper"])

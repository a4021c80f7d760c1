"""Are there two policies the specified and intended rewards order oppositely?
(Skalse et al. 2022)"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from alignspec.checking.convention import about
from alignspec.checking.convention import mdp_label as _mdp_label
from alignspec.checking.run import Clock, budget_or_default
from alignspec.errors import OptionError
from alignspec.mdp._common import _describe, _rewards, timed, unknown
from alignspec.mdp._occupancy import (
    _differences,
    _lp_pair,
    _occupancy_rows,
    _optimal_pair,
    _pair_finding,
    _reachable,
    _strategy_from,
    _unhackable,
)
from alignspec.mdp.backward import acyclic_order
from alignspec.mdp.intervals import (
    EXACT_FALLBACK,
    INTERVAL_STATES,
    ExactReward,
    float_optimal,
    float_values,
    interval_text,
    policy_bounds,
)
from alignspec.mdp.model import MDP, RewardLike
from alignspec.mdp.returns import as_strategy, start_value, values
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget
from alignspec.solver.linear import feasible


@about(_mdp_label)
@timed("hackable")
def hackable(
    mdp: MDP,
    specified: RewardLike,
    intended: RewardLike,
    *,
    policies: str | Sequence[object] = "stationary",
    budget: Budget | None = None,
    check: str = "hackable",
) -> Finding:
    """Skalse et al. (2022): are there policies pi, pi' with J_spec(pi) < J_spec(pi') and
    J_int(pi) > J_int(pi')?  (Then optimising the specified reward can lower the intended
    return.)

    Over all stationary stochastic policies (default) this is linear feasibility over
    occupancy measures, decided exactly by z3 over the rationals; a solution becomes two
    policies whose returns are re-evaluated exactly.  PROVED (unhackable) only from exact
    infeasibility.  ``policies`` may instead be a list of policies, compared pairwise.
    """
    clock = Clock()
    rs, ri = _rewards(mdp, specified, intended)
    if not isinstance(policies, str):
        if not policies:
            raise OptionError(
                "hackable(policies=[]) has no policies to compare; give a list of policies "
                "(compared pairwise) or leave policies='stationary' to range over all of them"
            )
        return _hackable_among(mdp, rs, ri, policies, clock, check)
    if policies != "stationary":
        raise OptionError(f"policies={policies!r}: use 'stationary' or a list of policies")
    options: dict[str, Any] = {"policies": "stationary"}
    b = budget_or_default(budget)
    live = _reachable(mdp)
    large = mdp.n_states > EXACT_FALLBACK
    # 1. The usual hack: the optimal policies of the two rewards ordered oppositely.
    #    Large discounted models: certified by value intervals (no exact solve).  Else
    #    exact, where exact optima are affordable: small models, or any size with a step
    #    counter (backward induction).
    if mdp.gamma < 1 and mdp.n_states > INTERVAL_STATES:
        found = _bounded_pair(mdp, rs, ri, clock, options, check)
        if found is not None:
            return found
    if not large or acyclic_order(mdp) is not None:
        pair = _optimal_pair(mdp, rs, ri)
        if pair is not None:
            return _pair_finding(mdp, rs, ri, pair, clock, options, check, {}, None, method="exact")
    # 2. Exact proof from linear algebra on the occupancy polytope (see _unhackable).
    proof, undecided, stats = _unhackable(mdp, rs, ri, live)
    if proof is not None:
        return Finding(
            check,
            Verdict.PROVED,
            proof,
            method="exact",  # linear algebra over the rationals, no query
            options=options,
            stats=stats,
            elapsed=clock.elapsed,
        )
    if large:
        reason = (
            f"{undecided + '; ' if undecided else ''}the optimal policies of the two rewards "
            "were not shown to be ordered oppositely, and the occupancy-measure search does "
            f"not scale to {mdp.n_states} states"
        )
        return unknown(check, reason, clock, options)
    # 3. A witness from a floating-point LP over occupancy measures, re-evaluated exactly.
    pair = _lp_pair(mdp, rs, ri, live)
    if pair is not None:
        found = _pair_finding(mdp, rs, ri, pair, clock, options, check, stats, None, method="exact")
        if found.verdict is Verdict.VIOLATED:
            return found
    # 4. The exact occupancy-measure question (z3 over the rationals).
    return _occupancy_question(mdp, rs, ri, live, b, clock, options, check, undecided)


def _bounded_pair(
    mdp: MDP,
    rs: list[list[Fraction]],
    ri: list[list[Fraction]],
    clock: Clock,
    options: dict[str, Any],
    check: str,
) -> Finding | None:
    """The intended-optimal and the specified-optimal policy (floating-point proposals),
    VIOLATED when certified value intervals order them oppositely; else None."""
    spec, intent = ExactReward.of(rs), ExactReward.of(ri)
    pair = (float_optimal(mdp, intent.floats)[0], float_optimal(mdp, spec.floats)[0])
    returns = []  # [(specified lo, hi), (intended lo, hi)] per policy
    for choice in pair:
        row = []
        for reward in (spec, intent):
            bounds = policy_bounds(mdp, reward, choice, float_values(mdp, reward.floats, choice))
            if bounds is None:
                return None
            row.append(bounds.start(mdp))
        returns.append(row)
    (js0, ji0), (js1, ji1) = returns
    if not (js0[1] < js1[0] and ji0[0] > ji1[1]):
        return None
    first, second = (_describe(mdp, [[(a, Fraction(1))] for a in c]) for c in pair)
    return Finding(
        check,
        Verdict.VIOLATED,
        f"pi' (optimal for the specified reward) earns more specified reward than pi "
        f"(optimal for the intended one): {interval_text(*js1)} > {interval_text(*js0)}, but "
        f"less intended reward: {interval_text(*ji1)} < {interval_text(*ji0)} (value "
        "intervals checked exactly): optimising the specified reward can lose intended "
        f"return; they differ at {_differences(first, second)}",
        witness={"pi": first, "pi_prime": second},
        values={
            name: {
                "specified_lower": js[0],
                "specified_upper": js[1],
                "intended_lower": ji[0],
                "intended_upper": ji[1],
            }
            for name, (js, ji) in (("pi", returns[0]), ("pi_prime", returns[1]))
        },
        method="bounds",
        options=options,
        elapsed=clock.elapsed,
    )


def _occupancy_question(
    mdp: MDP,
    rs: list[list[Fraction]],
    ri: list[list[Fraction]],
    live: list[int],
    b: Budget,
    clock: Clock,
    options: dict[str, Any],
    check: str,
    undecided: str | None,
) -> Finding:
    """Two occupancy measures the rewards order oppositely, or exact infeasibility."""
    rows1, var1 = _occupancy_rows(mdp, 0, live)
    rows2, var2 = _occupancy_rows(mdp, len(var1), live)

    def objective(r: list[list[Fraction]], sign: int) -> dict[int, Fraction]:
        out = {v: sign * r[s][a] for (s, a), v in var1.items()}
        for (s, a), v in var2.items():
            out[v] = -sign * r[s][a]
        return out

    rows = (
        rows1 + rows2 + [(objective(rs, 1), "<", Fraction(0)), (objective(ri, 1), ">", Fraction(0))]
    )
    n = len(var1) + len(var2)
    answer = feasible(n, rows, b, nonnegative=range(n), export=True)
    if answer.status == "unsat":
        return Finding(
            check,
            Verdict.PROVED,
            "no two stationary policies are ordered oppositely by the specified and "
            "the intended reward (exact infeasibility over occupancy measures)",
            method="smt",
            options=options,
            stats=answer.stats,
            elapsed=clock.elapsed,
            query=answer.smt2,
        )
    if answer.status == "unknown" or answer.values is None:
        reason = f"{undecided}; {answer.reason}" if undecided else answer.reason
        return unknown(check, reason, clock, options, method="smt", stats=answer.stats)
    d1 = {k: answer.values[v] for k, v in var1.items()}
    d2 = {k: answer.values[v] for k, v in var2.items()}
    pair = (_strategy_from(mdp, d1), _strategy_from(mdp, d2))
    return _pair_finding(mdp, rs, ri, pair, clock, options, check, answer.stats, answer.smt2)


def _hackable_among(
    mdp: MDP,
    rs: list[list[Fraction]],
    ri: list[list[Fraction]],
    policies: Sequence[object],
    clock: Clock,
    check: str,
) -> Finding:
    strategies = [as_strategy(mdp, p) for p in policies]
    returns = [
        (start_value(mdp, values(mdp, st, rs)), start_value(mdp, values(mdp, st, ri)))
        for st in strategies
    ]
    options = {"policies": f"{len(strategies)} given"}
    for i, (si, ii) in enumerate(returns):
        for j, (sj, ij) in enumerate(returns):
            if si < sj and ii > ij:
                return _pair_finding(
                    mdp,
                    rs,
                    ri,
                    (strategies[i], strategies[j]),
                    clock,
                    options,
                    check,
                    {},
                    None,
                    method="exact",
                )
    return Finding(
        check,
        Verdict.PROVED,
        "no two of the given policies are ordered oppositely (exact evaluation)",
        method="exact",
        options=options,
        elapsed=clock.elapsed,
    )

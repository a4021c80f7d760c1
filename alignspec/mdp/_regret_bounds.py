"""Regret from certified value intervals (discounted models too large to solve exactly)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import attrs

from alignspec.mdp.intervals import (
    Bounds,
    ExactReward,
    float_optimal,
    float_values,
    policy_bounds,
    undominated,
)
from alignspec.mdp.model import MDP
from alignspec.results import number_text


@attrs.frozen
class Regret:
    """A decided regret: the specified-optimal policy worst for the intended reward, the
    figures, and bounds ``lower <= regret <= upper`` (equal when exact)."""

    policy: list[int]
    figures: dict[str, Any]
    lower: Fraction
    upper: Fraction
    method: str
    how: str


def regret_bounds(
    mdp: MDP, rs: list[list[Fraction]], ri: list[list[Fraction]], tolerance: Fraction
) -> Regret | str:
    """The regret decided against ``tolerance`` from value intervals, or why it could not be.

    1. The float-optimal policy for the specified reward, with certified bounds on its
       values, must beat every other action strictly at every state: then it is the only
       specified-optimal policy (no ties to search among).
    2. Its intended values, bounded; if no action beats it there either, it is also
       intended-optimal and the regret is exactly 0.
    3. Otherwise bounds on the intended optimum (an upper bound valid for every action);
       the regret lies between the differences of the bounds at the initial states.
    """
    spec, intent = ExactReward.of(rs), ExactReward.of(ri)
    choice, v_spec = float_optimal(mdp, spec.floats)
    b_spec = policy_bounds(mdp, spec, choice, v_spec)
    if b_spec is None:
        return "the specified values could not be bounded (floating-point solve too inexact)"
    near = undominated(mdp, spec, choice, b_spec, strict=True)
    if near:
        return (
            f"the specified reward has ties or near-ties at {len(near)} state(s) (first "
            f"{mdp.states[near[0]]!r}) that value intervals of width {b_spec.width:.3g} cannot "
            "separate"
        )
    b_achieved = policy_bounds(mdp, intent, choice, float_values(mdp, intent.floats, choice))
    if b_achieved is None:
        return "the intended values could not be bounded (floating-point solve too inexact)"
    figures = _bounded(mdp, "reward_optimum", b_spec) | _bounded(
        mdp, "intended_achieved", b_achieved
    )
    if not undominated(mdp, intent, choice, b_achieved, strict=False):
        figures |= {"regret": Fraction(0), "regret_best_tie": Fraction(0)}
        figures |= _bounded(mdp, "intended_optimum", b_achieved)
        how = (
            "value intervals checked exactly: the only specified-optimal policy is also "
            "intended-optimal"
        )
        return Regret(choice, figures, Fraction(0), Fraction(0), "bounds", how)
    best, v_best = float_optimal(mdp, intent.floats)
    b_optimum = policy_bounds(mdp, intent, best, v_best, optimum=True)
    if b_optimum is None:
        return "the intended optimum could not be bounded (floating-point solve too inexact)"
    figures |= _bounded(mdp, "intended_optimum", b_optimum)
    lo_a, hi_a = b_achieved.start(mdp)
    lo_o, hi_o = b_optimum.start(mdp)
    lower, upper = max(Fraction(0), lo_o - hi_a), hi_o - lo_a
    figures |= {"regret_lower": lower, "regret_upper": upper}
    if tolerance < lower or upper <= tolerance:
        width = max(b_achieved.width, b_optimum.width)
        how = f"value intervals of width {width:.3g}, checked exactly"
        return Regret(choice, figures, lower, upper, "bounds", how)
    return (
        f"the regret lies in [{number_text(lower)}, {number_text(upper)}], which the "
        f"tolerance {number_text(tolerance)} splits"
    )


def _bounded(mdp: MDP, key: str, bounds: Bounds) -> dict[str, Any]:
    lo, hi = bounds.start(mdp)
    return {f"{key}_lower": lo, f"{key}_upper": hi}

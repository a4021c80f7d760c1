"""Is one reward the other up to positive scale and potential shaping (Ng et al. 1999)?"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import attrs

from alignspec.checking.convention import about, renamed
from alignspec.checking.convention import mdp_label as _mdp_label
from alignspec.checking.run import Clock
from alignspec.mdp._common import exact_solution, timed
from alignspec.mdp._hackable import hackable
from alignspec.mdp.model import MDP, RewardLike, reward_table
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget


@about(_mdp_label)
@timed("equivalent")
@renamed(3, ("mdp", "r1", "r2"), {"r1": "specified", "r2": "intended"})
def equivalent(
    mdp: MDP, specified: RewardLike, intended: RewardLike, *, budget: Budget | None = None
) -> Finding:
    """Is ``intended = c * specified + gamma * Phi(s2) - Phi(s)`` (r2 = c r1 + shaping, with
    r1 the specified reward and r2 the intended one) for some c > 0 and potential Phi, on every
    transition the MDP can take (Ng, Harada & Russell 1999)?  Then both rewards have the
    same optimal policies.  Phi is pinned to 0 on terminal states (episodes end there);
    with gamma < 1 it is otherwise free.

    PROVED returns c (``figures["scale"]``) and Phi (``values["potential"]``), exactly.
    Otherwise a pair of policies the two rewards order oppositely is the witness
    (VIOLATED); if none exists the answer is UNKNOWN (not shaped, yet no preference differs).
    """
    clock = Clock()
    r1, r2 = specified, intended
    t1 = reward_table(mdp, r1, "specified reward")
    t2 = reward_table(mdp, r2, "intended reward")
    n = mdp.n_states
    found = exact_solution(_shaping_rows(mdp, t1, t2), n + 1, sign=1, strict=True)
    if isinstance(found, str):
        return Finding(
            "equivalent",
            Verdict.UNKNOWN,
            f"equivalent could not be decided: {found}",
            reason=found,
            elapsed=clock.elapsed,
        )
    solution = found
    if solution is not None:
        c, phi = solution[0], solution[1:]
        if not _shaped(mdp, t1, t2, c, phi):
            return Finding(
                "equivalent",
                Verdict.UNKNOWN,
                "replay failed: the potential does not reproduce r2 exactly",
                reason="replay failed",
                elapsed=clock.elapsed,
            )
        return Finding(
            "equivalent",
            Verdict.PROVED,
            f"r2 = {c} * r1 + gamma * Phi(s') - Phi(s) on every possible transition: both "
            "rewards have the same optimal policies",
            figures={"scale": c},
            values={"potential": {str(mdp.states[i]): phi[i] for i in range(n)}},
            # exact linear algebra found c and Phi; the check above re-verified them
            method="exact",
            elapsed=clock.elapsed,
        )
    pair = hackable(mdp, r1, r2, budget=budget, check="equivalent")
    if pair.verdict is Verdict.VIOLATED:
        return attrs.evolve(
            pair,
            message="r2 is not a positive multiple of r1 plus potential "
            "shaping, and the two order these policies oppositely: " + pair.message,
            elapsed=clock.elapsed,
        )
    reason = (
        "r2 is not r1 up to scale and potential shaping, yet no pair of stationary "
        "policies is ordered oppositely"
        if pair.verdict is Verdict.PROVED
        else pair.reason
    )
    return Finding(
        "equivalent", Verdict.UNKNOWN, f"equivalent: {reason}", reason=reason, elapsed=clock.elapsed
    )


def _shaping_rows(
    mdp: MDP, t1: list[list[list[Fraction]]], t2: list[list[list[Fraction]]]
) -> list[tuple[dict[int, Fraction], str, Fraction]]:
    """c * r1 + gamma * Phi(s2) - Phi(s) == r2 on every possible transition (unknowns c,
    Phi), with Phi = 0 on terminal states."""
    rows: list[tuple[dict[int, Fraction], str, Fraction]] = []
    for s in range(mdp.n_states):
        if s in mdp.terminal:
            rows.append(({1 + s: Fraction(1)}, "==", Fraction(0)))
            continue
        for a in range(mdp.n_actions):
            for k, (s2, _) in enumerate(mdp.P[s][a]):
                row = {0: t1[s][a][k], 1 + s: Fraction(-1)}
                row[1 + s2] = row.get(1 + s2, Fraction(0)) + mdp.gamma
                rows.append(({i: c for i, c in row.items() if c != 0}, "==", t2[s][a][k]))
    return rows


def _shaped(
    mdp: MDP,
    t1: list[list[list[Fraction]]],
    t2: list[list[list[Fraction]]],
    c: Fraction,
    phi: Sequence[Fraction],
) -> bool:
    return (
        c > 0
        and all(
            t2[s][a][k] == c * t1[s][a][k] + mdp.gamma * phi[s2] - phi[s]
            for s in range(mdp.n_states)
            if s not in mdp.terminal
            for a in range(mdp.n_actions)
            for k, (s2, _) in enumerate(mdp.P[s][a])
        )
        and all(phi[t] == 0 for t in mdp.terminal)
    )

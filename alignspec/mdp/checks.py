"""Checks of specified against intended rewards on finite MDPs."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from fractions import Fraction
from typing import Any

import attrs

from alignspec.checking.convention import about, renamed
from alignspec.checking.convention import mdp_label as _mdp_label
from alignspec.checking.run import Clock, budget_or_default, nonnegative
from alignspec.errors import OptionError, SpecError
from alignspec.mdp.linalg import rational_solution
from alignspec.mdp.model import MDP, RewardLike, expected, reward_function, reward_table
from alignspec.mdp.returns import Strategy, as_strategy, optimal, q_values, start_value, values
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget
from alignspec.solver.linear import feasible
from alignspec.space import to_fraction


def _rewards(
    mdp: MDP, specified: RewardLike, intended: RewardLike
) -> tuple[
    list[list[Fraction]],
    list[list[Fraction]],
    list[list[list[Fraction]]],
    list[list[list[Fraction]]],
]:
    ts = reward_table(mdp, specified, "specified reward")
    ti = reward_table(mdp, intended, "intended reward")
    return expected(mdp, ts), expected(mdp, ti), ts, ti


def _describe(mdp: MDP, strategy: Strategy) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s, row in enumerate(strategy):
        if s in mdp.terminal:
            continue
        if len(row) == 1:
            out[str(mdp.states[s])] = str(mdp.actions[row[0][0]])
        else:
            out[str(mdp.states[s])] = ", ".join(f"{mdp.actions[a]}: {p}" for a, p in row)
    return out


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
            f"every policy optimal for the specified reward is within {tol} of the "
            f"intended optimum {j_star} (exact policy iteration)",
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
        f"optimising the specified reward costs {gap} of intended return (intended optimum "
        f"{j_star}, the specified-optimal policy gets {j_worst}); its most likely path: {path}",
        witness={"policy": _describe(mdp, strategy)},
        values={"policy": {"specified": figures["reward_optimum"], "intended": j_worst}},
        figures=figures,
        options=options,
        method="exact",
        elapsed=clock.elapsed,
        trace=trace,
    )


def _occupancy_rows(
    mdp: MDP, offset: int, live: list[int]
) -> tuple[list[tuple[dict[int, Fraction], str, Fraction]], dict[tuple[int, int], int]]:
    """Bellman flow constraints on occupancy variables d(s, a) >= 0 of the reachable
    non-terminal states (the others are never visited, so their occupancy is 0)."""
    var = {
        (s, a): offset + k
        for k, (s, a) in enumerate((s, a) for s in live for a in range(mdp.n_actions))
    }
    init = dict(mdp.init)
    rows: dict[int, dict[int, Fraction]] = {
        s: {var[(s, a)]: Fraction(1) for a in range(mdp.n_actions)} for s in live
    }
    for s in live:
        for a in range(mdp.n_actions):
            for s2, p in mdp.P[s][a]:
                if s2 in rows:
                    v = var[(s, a)]
                    rows[s2][v] = rows[s2].get(v, Fraction(0)) - mdp.gamma * p
    return [(row, "==", init.get(s, Fraction(0))) for s, row in rows.items()], var


def _strategy_from(mdp: MDP, occupancy: dict[tuple[int, int], Fraction]) -> Strategy:
    out: Strategy = []
    for s in range(mdp.n_states):
        total = sum((occupancy.get((s, a), Fraction(0)) for a in range(mdp.n_actions)), Fraction(0))
        if total == 0:
            out.append([(0, Fraction(1))])  # never visited: any action does
        else:
            out.append(
                [
                    (a, occupancy[(s, a)] / total)
                    for a in range(mdp.n_actions)
                    if occupancy.get((s, a), 0)
                ]
            )
    return out


@about(_mdp_label)
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
    rs, ri, _, _ = _rewards(mdp, specified, intended)
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
    # 1. Exact proof from linear algebra on the occupancy polytope (see _unhackable).
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
    # 2. A witness: the optimal policies of the two rewards (the usual hack), else a
    #    floating-point LP over occupancy measures; either way re-evaluated exactly.
    pair = _optimal_pair(mdp, rs, ri)
    if pair is None:
        pair = _lp_pair(mdp, rs, ri, live)
    if pair is not None:
        found = _pair_finding(mdp, rs, ri, pair, clock, options, check, stats, None, method="exact")
        if found.verdict is Verdict.VIOLATED:
            return found
    # 3. The exact occupancy-measure question (z3 over the rationals).
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
        return Finding(
            check,
            Verdict.UNKNOWN,
            f"{check} could not be decided: {reason}",
            reason=reason,
            method="smt",
            options=options,
            stats=answer.stats,
            elapsed=clock.elapsed,
        )
    d1 = {k: answer.values[v] for k, v in var1.items()}
    d2 = {k: answer.values[v] for k, v in var2.items()}
    pair = (_strategy_from(mdp, d1), _strategy_from(mdp, d2))
    return _pair_finding(mdp, rs, ri, pair, clock, options, check, answer.stats, answer.smt2)


def exact_solution(
    rows: list[tuple[dict[int, Fraction], str, Fraction]], n: int, *, sign: int | None, strict: bool
) -> list[Fraction] | str | None:
    """A solution of equality rows (exactly verified), None if none exists, or the reason
    it could not be decided (see alignspec.mdp.linalg.rational_solution)."""
    coefficients = [r for r, _, _ in rows]
    rhs = [v for _, _, v in rows]

    def holds(x: list[Fraction]) -> bool:
        if sign is not None and (x[0] < 0 or (strict and x[0] == 0)):
            return False
        return all(
            sum((c * x[j] for j, c in row.items()), Fraction(0)) == v
            for row, v in zip(coefficients, rhs, strict=True)
        )

    return rational_solution(coefficients, rhs, n, sign=sign, strict=strict, check=holds)


def _reachable(mdp: MDP) -> list[int]:
    """Non-terminal states some policy can reach from the initial distribution."""
    seen = {s for s, p in mdp.init if p}
    frontier = list(seen)
    while frontier:
        s = frontier.pop()
        if s in mdp.terminal:
            continue
        for a in range(mdp.n_actions):
            for s2, _ in mdp.P[s][a]:
                if s2 not in seen:
                    seen.add(s2)
                    frontier.append(s2)
    return sorted(s for s in seen if s not in mdp.terminal)


def _unhackable(
    mdp: MDP, rs: list[list[Fraction]], ri: list[list[Fraction]], live: list[int]
) -> tuple[str | None, str | None, dict[str, float]]:
    """An exact proof that no pair of policies is ordered oppositely, if there is one.

    On the occupancy polytope {d >= 0 : A d = mu} a return J(d) = r . d is constant when
    r = A^T lambda for some lambda (then J = lambda . mu).  So the pair is unhackable when
    the specified return is constant, or when r_int - alpha r_spec = A^T lambda with
    alpha >= 0 (then J_int = alpha J_spec + constant for every policy).  Over the reachable
    states the uniform policy is an interior point, so with gamma < 1 these two cases are
    also the only unhackable ones.
    """
    col = {s: 1 + k for k, s in enumerate(live)}

    def rows(
        target: list[list[Fraction]], scale: list[list[Fraction]] | None
    ) -> list[tuple[dict[int, Fraction], str, Fraction]]:
        out = []
        for s in live:
            for a in range(mdp.n_actions):
                row: dict[int, Fraction] = {col[s]: Fraction(1)}
                for s2, p in mdp.P[s][a]:
                    if s2 in col:
                        row[col[s2]] = row.get(col[s2], Fraction(0)) - mdp.gamma * p
                if scale is not None:
                    row[0] = scale[s][a]
                out.append(({k: v for k, v in row.items() if v}, "==", target[s][a]))
        return out

    n = len(live) + 1

    def solve_rows(
        rs_rows: list[tuple[dict[int, Fraction], str, Fraction]], sign: int | None
    ) -> list[Fraction] | None:
        found = exact_solution(rs_rows, n, sign=sign, strict=False)
        return found if isinstance(found, list) else None

    if solve_rows(rows(rs, None), None) is not None:
        return (
            "the specified reward gives every stationary policy the same return (it is a "
            "potential difference on the occupancy polytope): nothing to hack",
            None,
            {},
        )
    related = solve_rows(rows(ri, rs), 1)
    if related is not None:
        return (
            f"for every stationary policy the intended return is {related[0]} times the "
            "specified return plus a constant (exact linear algebra): improving one never "
            "lowers the other",
            None,
            {},
        )
    return None, None, {}


def _lp_pair(
    mdp: MDP, rs: list[list[Fraction]], ri: list[list[Fraction]], live: list[int]
) -> tuple[Strategy, Strategy] | None:
    """A floating-point LP over two occupancy measures maximising the margin by which the
    two rewards order them oppositely (scipy's HiGHS); None without scipy or a margin."""
    try:
        import numpy as np
        from scipy.optimize import linprog
        from scipy.sparse import lil_matrix
    except ImportError:
        return None
    m = mdp.n_actions
    idx = {(s, a): k for k, (s, a) in enumerate((s, a) for s in live for a in range(m))}
    k = len(idx)
    pos = {s: i for i, s in enumerate(live)}
    A = lil_matrix((2 * len(live), 2 * k + 1))
    b_eq = np.zeros(2 * len(live))
    init = dict(mdp.init)
    for copy in (0, 1):
        for s in live:
            b_eq[copy * len(live) + pos[s]] = float(init.get(s, 0))
            for a in range(m):
                A[copy * len(live) + pos[s], copy * k + idx[(s, a)]] += 1.0
                for s2, p in mdp.P[s][a]:
                    if s2 in pos:
                        A[copy * len(live) + pos[s2], copy * k + idx[(s, a)]] -= float(
                            mdp.gamma * p
                        )
    A_ub = lil_matrix((2, 2 * k + 1))
    for (s, a), j in idx.items():
        A_ub[0, j], A_ub[0, k + j] = float(rs[s][a]), -float(rs[s][a])  # J_s(d1) - J_s(d2) + t
        A_ub[1, j], A_ub[1, k + j] = -float(ri[s][a]), float(ri[s][a])  # J_i(d2) - J_i(d1) + t
    A_ub[0, 2 * k] = A_ub[1, 2 * k] = 1.0
    c = np.zeros(2 * k + 1)
    c[-1] = -1.0
    bounds = [(0, None)] * (2 * k) + [(0, 1)]
    res = linprog(
        c,
        A_ub=A_ub.tocsr(),
        b_ub=np.zeros(2),
        A_eq=A.tocsr(),
        b_eq=b_eq,
        bounds=bounds,
        method="highs",
    )
    if res.status != 0 or res.x[-1] <= 1e-9:
        return None
    d1 = {key: Fraction(float(max(res.x[j], 0.0))) for key, j in idx.items()}
    d2 = {key: Fraction(float(max(res.x[k + j], 0.0))) for key, j in idx.items()}
    return _strategy_from(mdp, d1), _strategy_from(mdp, d2)


def _optimal_pair(
    mdp: MDP, rs: list[list[Fraction]], ri: list[list[Fraction]]
) -> tuple[Strategy, Strategy] | None:
    """(intended-optimal, specified-optimal) when the specified reward strictly prefers the
    second and the intended reward strictly prefers the first."""
    candidates = []
    for r in (ri, rs):
        choice, _ = optimal(mdp, r)
        candidates.append([[(a, Fraction(1))] for a in choice])
    pi, pi2 = candidates
    js = [start_value(mdp, values(mdp, p, rs)) for p in (pi, pi2)]
    ji = [start_value(mdp, values(mdp, p, ri)) for p in (pi, pi2)]
    return (pi, pi2) if js[0] < js[1] and ji[0] > ji[1] else None


def _pair_finding(
    mdp: MDP,
    rs: list[list[Fraction]],
    ri: list[list[Fraction]],
    pair: tuple[Strategy, Strategy],
    clock: Clock,
    options: dict[str, Any],
    check: str,
    stats: dict[str, float],
    query: str | None,
    method: str = "smt",
) -> Finding:
    first, second = _describe(mdp, pair[0]), _describe(mdp, pair[1])
    js = [start_value(mdp, values(mdp, p, rs)) for p in pair]
    ji = [start_value(mdp, values(mdp, p, ri)) for p in pair]
    if not (js[0] < js[1] and ji[0] > ji[1]):
        return Finding(
            check,
            Verdict.UNKNOWN,
            f"{check}: replay failed: the policies from the "
            "solver are not ordered oppositely on exact evaluation",
            reason="replay failed",
            options=options,
            elapsed=clock.elapsed,
        )
    return Finding(
        check,
        Verdict.VIOLATED,
        f"pi' earns more specified reward than pi ({js[1]} > {js[0]}) but less intended reward "
        f"({ji[1]} < {ji[0]}): optimising the specified reward can lose intended return; "
        f"they differ at {_differences(first, second)}",
        witness={"pi": first, "pi_prime": second},
        values={
            "pi": {"specified": js[0], "intended": ji[0]},
            "pi_prime": {"specified": js[1], "intended": ji[1]},
        },
        method=method,
        options=options,
        stats=stats,
        elapsed=clock.elapsed,
        query=query,
    )


def _differences(first: dict[str, Any], second: dict[str, Any], shown: int = 6) -> str:
    diff = [f"{s} ({first[s]} vs {second[s]})" for s in first if first[s] != second.get(s)]
    return ", ".join(diff[:shown]) + (f" and {len(diff) - shown} more" if len(diff) > shown else "")


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


@about(_mdp_label)
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
    rows: list[tuple[dict[int, Fraction], str, Fraction]] = [({0: Fraction(1)}, ">", Fraction(0))]
    for s in range(n):
        if s in mdp.terminal:
            rows.append(({1 + s: Fraction(1)}, "==", Fraction(0)))
            continue
        for a in range(mdp.n_actions):
            for k, (s2, _) in enumerate(mdp.P[s][a]):
                row = {0: t1[s][a][k], 1 + s: Fraction(-1)}
                row[1 + s2] = row.get(1 + s2, Fraction(0)) + mdp.gamma
                rows.append(({i: c for i, c in row.items() if c != 0}, "==", t2[s][a][k]))
    found = exact_solution(rows[1:], n + 1, sign=1, strict=True)
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


@attrs.frozen
class Epic:
    """The EPIC pseudometric (Gleave et al. 2021) between two rewards.

    ``distance`` = sqrt((1 - rho) / 2) of the canonicalised rewards under the coverage
    distribution.  ``exact``: computed in rationals; then ``zero`` is decided exactly
    (rho == 1) and ``rho_squared`` is the exact square of the correlation.
    """

    distance: float
    rho: float
    exact: bool
    zero: bool
    rho_squared: Fraction | None


@renamed(3, ("mdp", "r1", "r2"), {"r1": "specified", "r2": "intended"})
def epic(
    mdp: MDP,
    specified: RewardLike,
    intended: RewardLike,
    *,
    coverage: object = None,
    actions: object = None,
    exact: bool | None = None,
) -> Epic:
    """EPIC distance under ``coverage`` (a distribution over states: {state: p}; default
    uniform) and ``actions`` (over actions; default uniform), with S, S' independent.

    Exact (Fractions) for models with up to 60 states unless ``exact`` says otherwise;
    zero for rewards equal up to positive scale and potential shaping.
    """
    n, m = mdp.n_states, mdp.n_actions
    ds = _distribution(mdp.states, coverage, "coverage")
    da = _distribution(mdp.actions, actions, "actions")
    exact = n <= 60 if exact is None else exact
    f1 = reward_function(mdp, specified, "specified reward")
    f2 = reward_function(mdp, intended, "intended reward")
    if exact:
        c1 = _canonical(f1, n, m, ds, da, mdp.gamma)
        c2 = _canonical(f2, n, m, ds, da, mdp.gamma)
        w = [ds[s] * da[a] * ds[t] for s in range(n) for a in range(m) for t in range(n)]
        mean1 = sum((wi * x for wi, x in zip(w, c1, strict=True)), Fraction(0))
        mean2 = sum((wi * x for wi, x in zip(w, c2, strict=True)), Fraction(0))
        cov = sum(
            (wi * (x - mean1) * (y - mean2) for wi, x, y in zip(w, c1, c2, strict=True)),
            Fraction(0),
        )
        v1 = sum((wi * (x - mean1) ** 2 for wi, x in zip(w, c1, strict=True)), Fraction(0))
        v2 = sum((wi * (y - mean2) ** 2 for wi, y in zip(w, c2, strict=True)), Fraction(0))
        if v1 == 0 or v2 == 0:
            raise SpecError("EPIC is undefined when a canonicalised reward is constant")
        rho_sq = cov * cov / (v1 * v2)
        rho = math.copysign(math.sqrt(float(rho_sq)), float(cov))
        zero = cov > 0 and rho_sq == 1
        distance = 0.0 if zero else math.sqrt(max(0.0, (1 - rho) / 2))
        return Epic(distance, 1.0 if zero else rho, True, zero, rho_sq)
    import numpy as np

    R1 = np.array([[[float(f1(s, a, t)) for t in range(n)] for a in range(m)] for s in range(n)])
    R2 = np.array([[[float(f2(s, a, t)) for t in range(n)] for a in range(m)] for s in range(n)])
    pS = np.array([float(x) for x in ds])
    pA = np.array([float(x) for x in da])
    g = float(mdp.gamma)

    def canon(R: Any) -> Any:
        mean_from = np.einsum("sat,a,t->s", R, pA, pS)
        return R + g * mean_from[None, None, :] - mean_from[:, None, None] - g * (pS @ mean_from)

    C1, C2 = canon(R1), canon(R2)
    W = np.einsum("s,a,t->sat", pS, pA, pS)
    m1, m2 = (W * C1).sum(), (W * C2).sum()
    cov = (W * (C1 - m1) * (C2 - m2)).sum()
    v1, v2 = (W * (C1 - m1) ** 2).sum(), (W * (C2 - m2) ** 2).sum()
    # constant up to rounding: the exact path would find a zero variance
    tiny = 1e-24
    if not v1 > tiny * max(1.0, float((W * C1**2).sum())) or not v2 > tiny * max(
        1.0, float((W * C2**2).sum())
    ):
        raise SpecError("EPIC is undefined when a canonicalised reward is constant")
    rho = float(np.clip(cov / np.sqrt(v1 * v2), -1.0, 1.0))
    return Epic(math.sqrt(max(0.0, (1 - rho) / 2)), rho, False, False, None)


def _distribution(items: Sequence[Hashable], given: object, what: str) -> list[Fraction]:
    if given is None:
        return [Fraction(1, len(items))] * len(items)
    if not isinstance(given, dict):
        raise OptionError(f"{what} must be a mapping from items to probabilities")
    out = [to_fraction(given.get(x, 0), f"{what} of {x!r}") for x in items]
    if sum(out, Fraction(0)) != 1:
        raise OptionError(f"{what} probabilities do not sum to 1")
    return out


def _canonical(
    f: Any, n: int, m: int, ds: list[Fraction], da: list[Fraction], gamma: Fraction
) -> list[Fraction]:
    mean_from = [
        sum((da[a] * ds[t] * f(s, a, t) for a in range(m) for t in range(n)), Fraction(0))
        for s in range(n)
    ]
    overall = sum((ds[s] * mean_from[s] for s in range(n)), Fraction(0))
    return [
        f(s, a, t) + gamma * mean_from[t] - mean_from[s] - gamma * overall
        for s in range(n)
        for a in range(m)
        for t in range(n)
    ]

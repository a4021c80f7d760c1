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
from alignspec.mdp._common import _describe, _rewards, exact_solution
from alignspec.mdp.model import MDP, RewardLike
from alignspec.mdp.returns import Strategy, as_strategy, optimal, start_value, values
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget
from alignspec.solver.linear import feasible


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

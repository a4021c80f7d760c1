"""Policies as occupancy measures: the linear algebra that proves an MDP unhackable, the LP
that proposes a hacking pair, and the pair's exact re-evaluation."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from alignspec.checking.run import Clock
from alignspec.mdp._common import _describe, exact_solution
from alignspec.mdp.model import MDP
from alignspec.mdp.returns import Strategy, optimal, start_value, values
from alignspec.results import Finding, Verdict, number_text


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

    undecided: list[str] = []

    def solve_rows(
        rs_rows: list[tuple[dict[int, Fraction], str, Fraction]], sign: int | None
    ) -> list[Fraction] | None:
        found = exact_solution(rs_rows, n, sign=sign, strict=False)
        if isinstance(found, str):  # the exact solve gave up: say so if nothing else decides
            undecided.append(f"the unhackability proof could not be completed ({found})")
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
            "for every stationary policy the intended return is "
            f"{number_text(related[0])} times the specified return plus a constant (exact "
            "linear algebra): improving one never lowers the other",
            None,
            {},
        )
    return None, "; ".join(undecided) or None, {}


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
        f"pi' earns more specified reward than pi ({number_text(js[1])} > "
        f"{number_text(js[0])}) but less intended reward ({number_text(ji[1])} < "
        f"{number_text(ji[0])}): optimising the specified reward can lose intended return; "
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

"""Exact policy evaluation and optimal policies (floats propose, Fractions decide)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt

from alignspec.checking.deadline import tick
from alignspec.errors import SpecError
from alignspec.mdp.backward import optimal_backward, values_backward
from alignspec.mdp.linalg import SingularSystem, solve
from alignspec.mdp.model import MDP, RewardLike, expected_rewards
from alignspec.space import to_fraction

#: A stationary stochastic policy: per state index, [(action index, probability)].
Strategy = list[list[tuple[int, Fraction]]]


def as_strategy(mdp: MDP, policy: object) -> Strategy:
    """Accepts {state: action}, {state: {action: prob}}, or a list of actions per state index
    (states missing from a mapping take the first action; terminal states do not matter)."""
    out: Strategy = []
    for i, s in enumerate(mdp.states):
        if isinstance(policy, Mapping):
            choice = policy.get(s, mdp.actions[0])
        elif isinstance(policy, Sequence) and not isinstance(policy, str):
            choice = policy[i]
        else:
            raise SpecError(f"a policy is a mapping from states to actions, got {policy!r}")
        if isinstance(choice, Mapping):
            row = [
                (_action(mdp, a), to_fraction(p, f"P({a!r}|{s!r})")) for a, p in choice.items() if p
            ]
            if sum((p for _, p in row), Fraction(0)) != 1:
                raise SpecError(f"action probabilities at {s!r} do not sum to 1")
            out.append(row)
        else:
            out.append([(_action(mdp, choice), Fraction(1))])
    return out


def _action(mdp: MDP, a: Hashable) -> int:
    try:
        return mdp.actions.index(a)
    except ValueError:
        raise SpecError(f"{a!r} is not an action of the MDP {mdp.actions}") from None


def values(mdp: MDP, strategy: Strategy, r: list[list[Fraction]]) -> list[Fraction]:
    """V(s) for every state, exactly: solves (I - gamma P_pi) V = r_pi on non-terminal states
    (by backward induction when the transition graph has no cycles but self-loops)."""
    quick = values_backward(mdp, strategy, r)
    if quick is not None:
        return quick
    live = [i for i in range(mdp.n_states) if i not in mdp.terminal]
    col = {s: k for k, s in enumerate(live)}
    rows, rhs = [], []
    for s in live:
        row: dict[int, Fraction] = {col[s]: Fraction(1)}
        total = Fraction(0)
        for a, pa in strategy[s]:
            total += pa * r[s][a]
            for s2, p in mdp.P[s][a]:
                if s2 in col:
                    row[col[s2]] = row.get(col[s2], Fraction(0)) - mdp.gamma * pa * p
        rows.append({k: v for k, v in row.items() if v != 0})
        rhs.append(total)
    try:
        solution = solve(rows, rhs)
    except SingularSystem:
        raise SpecError(
            "the policy never reaches a terminal state from some state, so its "
            "undiscounted return does not exist (gamma = 1)"
        ) from None
    v = [Fraction(0)] * mdp.n_states
    for s, k in col.items():
        v[s] = solution[k]
    return v


def start_value(mdp: MDP, v: Sequence[Fraction]) -> Fraction:
    """J = expected value of the initial state."""
    return sum((p * v[s] for s, p in mdp.init), Fraction(0))


#: Models up to this many states are evaluated exactly by default.
EXACT_STATES = 200
#: Relative residual a floating-point evaluation must meet.
TOLERANCE = 1e-9
#: Floating-point evaluations of up to this many states use a sparse direct solve.
SPARSE_DIRECT = 20_000


def _is_expected_table(mdp: MDP, r: object) -> bool:
    return (
        isinstance(r, list)
        and len(r) == mdp.n_states
        and all(
            isinstance(row, list)
            and len(row) == mdp.n_actions
            and all(isinstance(x, Fraction) for x in row)
            for row in r
        )
    )


def evaluate(
    mdp: MDP, policy: object, reward: RewardLike, *, exact: bool | None = None
) -> Fraction | float:
    """The expected (discounted) return of ``policy`` from the initial distribution.

    Exact (a Fraction, sparse rational elimination) for models up to ``EXACT_STATES``
    states unless ``exact`` says otherwise; beyond, a float64 solve whose residual
    ``|(I - gamma P) V - r|`` must stay below ``TOLERANCE`` times the reward scale (a
    SpecError otherwise).  Checks that decide verdicts always evaluate exactly.
    """
    r = expected_rewards(mdp, reward)
    strategy = as_strategy(mdp, policy)
    if exact if exact is not None else mdp.n_states <= EXACT_STATES:
        return start_value(mdp, values(mdp, strategy, r))
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import bicgstab, spsolve

    n = mdp.n_states
    rows, cols, vals = list(range(n)), list(range(n)), [1.0] * n  # sparse: never (S, S) dense
    b = np.zeros(n)
    for s in range(n):
        if s in mdp.terminal:
            continue
        for a, pa in strategy[s]:
            b[s] += float(pa * r[s][a])
            for s2, p in mdp.P[s][a]:
                if s2 not in mdp.terminal:
                    rows.append(s)
                    cols.append(s2)
                    vals.append(-float(mdp.gamma * pa * p))
    A = csr_matrix((vals, (rows, cols)), shape=(n, n))  # duplicates are summed
    if n <= SPARSE_DIRECT:
        v = np.asarray(spsolve(A.tocsc(), b), dtype=np.float64)
    else:  # direct factorisation fills in on large random graphs
        v = bicgstab(A, b, rtol=1e-13, atol=0.0, maxiter=50 * n)[0]
    scale = max(1.0, float(np.abs(b).max()))
    if not np.all(np.isfinite(v)) or float(np.abs(A @ v - b).max()) > TOLERANCE * scale:
        raise SpecError("the floating-point evaluation did not meet its tolerance; use exact=True")
    return float(sum(float(p) * v[s] for s, p in mdp.init))


def q_values(mdp: MDP, r: list[list[Fraction]], v: Sequence[Fraction], s: int) -> list[Fraction]:
    return [
        r[s][a] + mdp.gamma * sum((p * v[s2] for s2, p in mdp.P[s][a]), Fraction(0))
        for a in range(mdp.n_actions)
    ]


def optimal(
    mdp: MDP,
    r: RewardLike,
    *,
    sense: Literal["max", "min"] = "max",
    allowed: Sequence[Sequence[int]] | None = None,
) -> tuple[list[int], list[Fraction]]:
    """An optimal deterministic policy (an action index per state) and its exact values.

    ``r`` is a reward in any form the checks take (array, function, sympy expression) or
    the expected-reward table ``r[s][a]`` of Fractions.  Floating-point policy iteration
    proposes; exact policy iteration (Fractions) then improves until no action is strictly
    better anywhere, which is exact optimality.  ``allowed[s]`` restricts the actions
    considered at s.
    """
    if not _is_expected_table(mdp, r):
        r = expected_rewards(mdp, r)
    assert isinstance(r, list)
    every = list(range(mdp.n_actions))  # one shared list: nothing below mutates acts
    acts = (
        [list(allowed[s]) for s in range(mdp.n_states)]
        if allowed is not None
        else [every] * mdp.n_states
    )
    quick = optimal_backward(mdp, r, sense, acts)
    if quick is not None:
        return quick[0], quick[1]
    choice = _float_proposal(mdp, r, sense, acts)

    def better(x: Fraction, y: Fraction) -> bool:
        return x > y if sense == "max" else x < y

    r_float = np.array([[float(x) for x in row] for row in r])
    for _ in range(10_000):
        tick()
        v = values(mdp, [[(a, Fraction(1))] for a in choice], r)
        rivals = _rivals(mdp, r_float, v, choice, acts, sense)
        changed = False
        for s in range(mdp.n_states):
            if s in mdp.terminal or not rivals[s]:
                continue
            best, best_q = choice[s], v[s]  # the chosen action's exact Q is V(s)
            for a in rivals[s]:
                q = r[s][a] + mdp.gamma * sum((p * v[s2] for s2, p in mdp.P[s][a]), Fraction(0))
                if better(q, best_q):
                    best, best_q = a, q
            if best != choice[s]:
                choice[s], changed = best, True
        if not changed:
            return choice, v
    raise SpecError("policy iteration did not converge")  # cannot happen: finite improvement


def optimal_ties(
    mdp: MDP, r: list[list[Fraction]]
) -> tuple[list[int], list[Fraction], list[list[int]]]:
    """Like :func:`optimal` (maximising), plus every optimal action per state: those whose
    exact Q-value equals the optimal value (at terminal states, every action)."""
    acts = [list(range(mdp.n_actions))] * mdp.n_states
    quick = optimal_backward(mdp, r, "max", acts)
    if quick is not None:
        return quick
    choice, v = optimal(mdp, r)
    ties = []
    for s in range(mdp.n_states):
        q = q_values(mdp, r, v, s)
        ties.append([a for a in range(mdp.n_actions) if q[a] == v[s]] or [choice[s]])
    return choice, v, ties


#: Relative bound on the float error of a Q-value (IEEE sums of a few thousand products of
#: correctly rounded conversions err by far less than 1e-12 of the magnitudes involved).
SLACK = 1e-12


def _rivals(
    mdp: MDP,
    r_float: npt.NDArray[np.float64],
    v: Sequence[Fraction],
    choice: Sequence[int],
    acts: Sequence[Sequence[int]],
    sense: str,
) -> list[list[int]]:
    """Per state, the actions that might beat the chosen one (to be decided exactly): float
    Q-values with an outward error bound rule out the rest soundly.  Every action when the
    values do not fit in floats."""
    n, m = mdp.n_states, mdp.n_actions
    try:
        v_float = np.array([float(x) for x in v])
    except OverflowError:
        return [[a for a in acts[s] if a != choice[s]] for s in range(n)]
    P = mdp.sparse_transitions()
    successors = int(np.diff(P.indptr).max()) if P.nnz else 0
    g = float(mdp.gamma)
    q = r_float + g * (P @ v_float).reshape(n, m)
    size = np.abs(r_float) + g * (P @ np.abs(v_float)).reshape(n, m) + np.abs(v_float)[:, None]
    # the bound holds for sums of up to a few thousand terms of finite magnitude
    if (successors + 4) * 2.3e-16 > SLACK / 10 or not np.all(np.isfinite(size)):
        return [[a for a in acts[s] if a != choice[s]] for s in range(n)]
    slack = SLACK * size + 1e-300
    here = v_float[:, None]
    maybe = q > here - slack if sense == "max" else q < here + slack
    return [[a for a in acts[s] if a != choice[s] and maybe[s, a]] for s in range(n)]


def _float_proposal(
    mdp: MDP, r: list[list[Fraction]], sense: str, acts: list[list[int]]
) -> list[int]:
    n, m = mdp.n_states, mdp.n_actions
    sign = 1.0 if sense == "max" else -1.0
    R = np.array([[float(x) for x in row] for row in r]) * sign
    P = mdp.sparse_transitions()  # (n * m, n), built once per model
    mask = np.full((n, m), -np.inf)
    for s in range(n):
        mask[s, acts[s]] = 0.0
    gamma = float(mdp.gamma) if mdp.gamma < 1 else 1.0
    terminal = list(mdp.terminal)
    v = np.zeros(n)
    for _ in range(5000):
        tick()
        q = R + gamma * (P @ v).reshape(n, m) + mask
        new = q.max(axis=1)
        new[terminal] = 0.0
        if np.max(np.abs(new - v)) < 1e-12:
            v = new
            break
        v = new
    q = R + gamma * (P @ v).reshape(n, m) + mask
    finite = np.isfinite(q).any(axis=1)
    best = np.argmax(q, axis=1)
    return [int(best[s]) if finite[s] else acts[s][0] for s in range(n)]

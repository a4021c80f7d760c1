"""Exact backward induction for MDPs whose transition graph has no cycles but self-loops
(models with a step counter, finite-horizon unrollings).

Processing states successors-first, each state's value is final once its successors'
are: an action with self-loop probability p and everything else fixed earns
``x_a = (r + gamma * sum_{s2 != s} P(s2) V(s2)) / (1 - gamma p)`` by staying on it, and the
optimal value is ``max_a x_a`` (the fixed point of ``V = max_a (c_a + d_a V)`` with
``d_a < 1``).  So optimal values, optimal actions (ties exactly) and a policy's values
all come from one pass of exact rational arithmetic (FLINT's fmpq), with no linear solve
and no policy iteration.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from alignspec.checking.deadline import tick
from alignspec.mdp.model import MDP


def acyclic_order(mdp: MDP) -> list[int] | None:
    """Non-terminal states ordered successors-first (ignoring self-loops), over every
    action; None when the transition graph has a cycle.  Computed once per model."""
    order: list[int] | None = mdp.derived("acyclic_order", lambda: _order(mdp))
    return order


def _order(mdp: MDP) -> list[int] | None:
    n = mdp.n_states
    waiting = [0] * n  # distinct successors (other than s) not yet placed
    before: list[list[int]] = [[] for _ in range(n)]
    for s in range(n):
        if s in mdp.terminal:
            continue
        successors = {s2 for row in mdp.P[s] for s2, _ in row if s2 != s} - mdp.terminal
        waiting[s] = len(successors)
        for s2 in successors:
            before[s2].append(s)
    ready = [s for s in range(n) if waiting[s] == 0 and s not in mdp.terminal]
    order = []
    while ready:
        s = ready.pop()
        order.append(s)
        for q in before[s]:
            waiting[q] -= 1
            if waiting[q] == 0:
                ready.append(q)
    return order if len(order) == n - len(mdp.terminal) else None


def _coprime() -> Any:
    """Fraction from a numerator and denominator already in lowest terms (FLINT keeps its
    rationals canonical), skipping the gcd: half the cost of a pass with 100-digit values."""
    direct = getattr(Fraction, "_from_coprime_ints", None)  # Python 3.12+
    if direct is not None:
        return direct
    try:
        Fraction(1, 2, _normalize=False)  # type: ignore[call-overload]  # Python 3.11
    except TypeError:
        return Fraction
    return lambda p, q: Fraction(p, q, _normalize=False)  # type: ignore[call-overload]


_FRACTION = _coprime()


def _fractions(values: list[Any]) -> list[Fraction]:
    make = _FRACTION
    return [make(int(x.p), int(x.q)) for x in values]


def _flint() -> Any:
    try:
        import flint
    except ImportError:  # pragma: no cover - a runtime dependency
        return None
    return flint


def _rationals(flint: Any) -> Any:
    """Fraction -> fmpq, memoised: models repeat a handful of probabilities (a slippery
    gridworld has three), and building the same rational 10^5 times dominated preparation."""
    q = flint.fmpq
    known: dict[Fraction, Any] = {}

    def convert(p: Fraction) -> Any:
        x = known.get(p)
        if x is None:
            x = known[p] = q(p.numerator, p.denominator)
        return x

    return convert


def _transitions(mdp: MDP, flint: Any) -> list[list[list[tuple[int, Any]]]]:
    """mdp.P with FLINT rationals (kept per model)."""

    def build() -> list[list[list[tuple[int, Any]]]]:
        convert = _rationals(flint)
        return [[[(s2, convert(p)) for s2, p in row] for row in actions] for actions in mdp.P]

    out: list[list[list[tuple[int, Any]]]] = mdp.derived("fmpq_transitions", build)
    return out


def _steps(mdp: MDP, flint: Any) -> list[list[tuple[list[tuple[int, Any]], Any]]] | None:
    """Per state and action: the other successors with gamma * P folded in, and the factor
    1 / (1 - gamma P(s | s, a)) that staying on the action contributes (kept per model);
    None when some action stays forever undiscounted."""

    def build() -> list[list[tuple[list[tuple[int, Any]], Any]]] | None:
        q = flint.fmpq
        g = q(mdp.gamma.numerator, mdp.gamma.denominator)
        one = q(1)
        # from the integer rows (probability = weight / row denominator), keyed by those
        # integers: Fraction hashing was most of the preparation's time
        exact = mdp.exact_rows()
        indptr, indices = exact.indptr.tolist(), exact.indices.tolist()
        numerators, denominators = exact.weights.tolist(), exact.denominators.tolist()
        weights: dict[tuple[int, int], Any] = {}  # (w, D) -> gamma * w / D
        factors: dict[tuple[int, int], Any] = {}  # stay -> 1 / (1 - gamma stay), or None
        terminal, m = mdp.terminal, mdp.n_actions
        out = []
        for s in range(mdp.n_states):
            per_action = []
            for k in range(s * m, s * m + m):
                d = denominators[k]
                others = []
                stay = (0, 1)
                for i in range(indptr[k], indptr[k + 1]):  # s appears at most once
                    s2, key = indices[i], (numerators[i], d)
                    if s2 == s:
                        stay = key
                        continue
                    w = weights.get(key)
                    if w is None:
                        w = weights[key] = g * q(*key)
                    others.append((s2, w))
                factor = factors.get(stay)
                if factor is None and stay not in factors:
                    kept = g * q(*stay)
                    # None marks "stays forever, undiscounted" (only terminal states may)
                    factor = factors[stay] = one / (one - kept) if kept != one else None
                if factor is None and s not in terminal:
                    return None
                per_action.append((others, one if factor is None else factor))
            out.append(per_action)
        return out

    steps: list[list[tuple[list[tuple[int, Any]], Any]]] | None = mdp.derived("steps", build)
    return steps


def optimal_backward(
    mdp: MDP,
    r: Sequence[Sequence[Fraction]],
    sense: str,
    acts: Sequence[Sequence[int]],
) -> tuple[list[int], list[Fraction], list[list[int]]] | None:
    """(an optimal action per state, the optimal values, every optimal action per state)
    by backward induction; None when the model has cycles, or an action that can stay
    forever without discount (gamma = 1 and a self-loop of probability 1)."""
    order = acyclic_order(mdp)
    flint = _flint()
    steps = None if order is None or flint is None else _steps(mdp, flint)
    if order is None or steps is None:
        return None
    q = flint.fmpq
    n = mdp.n_states
    v = [q(0)] * n
    choice = [acts[s][0] for s in range(n)]
    ties = [list(acts[s]) for s in range(n)]  # terminal states: every action is optimal
    maximise = sense == "max"
    for k, s in enumerate(order):
        if k & 4095 == 0:
            tick()
        best = None
        tied: list[int] = []
        row, rewards = steps[s], r[s]
        for a in acts[s]:
            others, factor = row[a]
            x = q(rewards[a].numerator, rewards[a].denominator)
            for s2, w in others:
                x += w * v[s2]
            if factor != 1:
                x *= factor
            if best is None or (x > best if maximise else x < best):
                best, tied = x, [a]
            elif x == best:
                tied.append(a)
        assert best is not None
        v[s], choice[s], ties[s] = best, tied[0], tied
    return choice, _fractions(v), ties


def values_backward(
    mdp: MDP, strategy: Sequence[Sequence[tuple[int, Fraction]]], r: Sequence[Sequence[Fraction]]
) -> list[Fraction] | None:
    """V of a stationary policy by backward induction; None as for optimal_backward."""
    order = acyclic_order(mdp)
    flint = _flint()
    if order is None or flint is None:
        return None
    q = flint.fmpq
    g = q(mdp.gamma.numerator, mdp.gamma.denominator)
    one = q(1)
    P = _transitions(mdp, flint)
    v = [q(0)] * mdp.n_states
    for k, s in enumerate(order):
        if k & 4095 == 0:
            tick()
        total, stay = q(0), q(0)
        for a, pa in strategy[s]:
            w = q(pa.numerator, pa.denominator)
            total += w * q(r[s][a].numerator, r[s][a].denominator)
            for s2, p in P[s][a]:
                if s2 == s:
                    stay += w * g * p
                else:
                    total += w * g * p * v[s2]
        if stay == one:
            return None
        v[s] = total / (one - stay) if stay else total
    return _fractions(v)

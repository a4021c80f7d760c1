"""Sound value intervals for discounted MDPs: floats propose, integer arithmetic checks.

For a policy pi and a vector U, ``T^pi U <= U`` componentwise implies ``V^pi <= U``
(``T^pi`` is monotone and a gamma-contraction, so ``V^pi = lim (T^pi)^k U <= U``);
likewise ``T^pi L >= L`` implies ``V^pi >= L``, and ``T U <= U`` over every action implies
``V* <= U``.  The vectors come from floating-point solves moved outward by the residual
over (1 - gamma); the inequalities are then checked exactly.  Every float is a dyadic
rational, so with ``U = u / 2^e`` (u integers) and probabilities ``w / D`` per row, each
check is an inequality between integers, evaluated in Python integers over numpy object
arrays.  No verdict rests on floating-point arithmetic, and no exact solve is needed:
the cost is a few sparse products per check.

Gap certificates build on the bounds: when every other action's Q-value, bounded above
with U, falls below L(s), the policy is optimal, and uniquely so when strictly below.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import attrs
import numpy as np
import numpy.typing as npt

from alignspec.checking.deadline import tick
from alignspec.mdp.model import MDP

Objects = npt.NDArray[np.object_]
Floats = npt.NDArray[np.float64]

#: Discounted models with more states than this are decided by value intervals first.
INTERVAL_STATES = 500
#: When intervals cannot decide, exact computation takes over up to this many states.
EXACT_FALLBACK = 3000
#: Attempts at widening the proposed interval until the exact checks pass.
ATTEMPTS = 6


@attrs.frozen(eq=False)
class ExactReward:
    """An expected-reward table r[s][a] as numerators and denominators per row
    ``s * n_actions + a`` (Python integers), and its float64 rounding."""

    numerators: Objects
    denominators: Objects
    floats: Floats  # shape (n_states, n_actions)

    @classmethod
    def of(cls, r: Sequence[Sequence[Fraction]]) -> ExactReward:
        flat = [x for row in r for x in row]
        num = np.empty(len(flat), dtype=object)
        den = np.empty(len(flat), dtype=object)
        num[:] = [x.numerator for x in flat]
        den[:] = [x.denominator for x in flat]
        floats = np.array([float(x) for x in flat], dtype=np.float64).reshape(len(r), -1)
        return cls(num, den, floats)


@attrs.frozen(eq=False)
class Bounds:
    """Certified bounds ``lower / 2^exponent <= V <= upper / 2^exponent`` per state."""

    lower: Objects
    upper: Objects
    exponent: int

    def start(self, mdp: MDP) -> tuple[Fraction, Fraction]:
        """Bounds on the expected value of the initial state, exactly."""
        scale = 2**self.exponent
        lo = sum((p * Fraction(self.lower[s], scale) for s, p in mdp.init), Fraction(0))
        hi = sum((p * Fraction(self.upper[s], scale) for s, p in mdp.init), Fraction(0))
        return lo, hi

    @property
    def width(self) -> float:
        """The widest interval, as a float (for messages)."""
        return float(Fraction(int(np.max(self.upper - self.lower)), 2**self.exponent))


def _exponent(values: Floats) -> int:
    """e such that every |value| * 2^e stays below 2^60 (exact in int64)."""
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if largest == 0.0:
        return 60
    return min(1000, 60 - int(np.frexp(largest)[1]))


def _scaled(values: Floats, e: int, up: bool) -> Objects:
    """values * 2^e rounded outward to integers (exact: scaling by 2^e is exact in floats)."""
    x = np.ldexp(values, e)
    x = np.ceil(x) if up else np.floor(x)
    out: Objects = x.astype(np.int64).astype(object)
    return out


def _rows_of(mdp: MDP, choice: Sequence[int] | None) -> npt.NDArray[np.int64]:
    """Row numbers (s * n_actions + a): the policy's rows, or all rows."""
    n, m = mdp.n_states, mdp.n_actions
    if choice is None:
        return np.arange(n * m, dtype=np.int64)
    return np.arange(n, dtype=np.int64) * m + np.asarray(choice, dtype=np.int64)


def _q_scaled(
    mdp: MDP, reward: ExactReward, vector: Objects, e: int, rows: npt.NDArray[np.int64]
) -> tuple[Objects, Objects]:
    """Q(k) = r(k) + gamma * sum_j P(j|k) V(j) with V = vector / 2^e, for rows k, exactly:
    returns (A, B) with ``Q(k) * 2^e = A / B`` and B > 0."""
    exact = mdp.exact_rows()
    starts = exact.indptr[rows]
    lengths = exact.indptr[rows + 1] - starts
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    entries = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - offsets, lengths)
    products = exact.weights[entries] * vector[exact.indices[entries]]
    sums = np.add.reduceat(products, offsets) if len(rows) else products
    g = mdp.gamma
    d = exact.denominators[rows]
    rn, rd = reward.numerators[rows], reward.denominators[rows]
    a = rn * (g.denominator * (2**e)) * d + rd * g.numerator * sums
    b = rd * g.denominator * d
    return a, b


def float_values(mdp: MDP, r: Floats, choice: Sequence[int], guess: Floats | None = None) -> Floats:
    """V^pi in float64: fixed-point sweeps V <- r_pi + gamma P_pi V while they converge
    fast enough (gamma <= 0.95: a sparse product each), else BiCGSTAB on
    (I - gamma P_pi) V = r_pi with refinement.  Only a proposal: bounds are checked."""
    n = mdp.n_states
    rows = _rows_of(mdp, choice)
    p_pi = mdp.sparse_transitions()[rows]
    b = r.reshape(-1)[rows]
    g = float(mdp.gamma)
    v = np.zeros(n) if guess is None else guess.copy()
    if g <= 0.95:
        for _ in range(2000):
            tick()
            new = b + g * (p_pi @ v)
            change = float(np.max(np.abs(new - v))) if n else 0.0
            v = new
            if change <= 1e-16 * (float(np.max(np.abs(v))) + 1e-300):
                break
        return v
    from scipy.sparse import identity
    from scipy.sparse.linalg import bicgstab

    a = (identity(n, format="csr") - g * p_pi).tocsr()
    for _ in range(3):  # a solve, then refinements on the residual
        tick()
        correction, _ = bicgstab(a, b - a @ v, rtol=1e-14, atol=0.0, maxiter=20 * n)
        v = v + correction
    return v


def float_optimal(
    mdp: MDP, r: Floats, *, sense: str = "max", iterations: int = 200
) -> tuple[list[int], Floats]:
    """A (float-)optimal deterministic policy and its float values: policy iteration that
    switches actions only on improvements beyond rounding (so ties do not cycle)."""
    n, m = mdp.n_states, mdp.n_actions
    sign = 1.0 if sense == "max" else -1.0
    rr = r * sign
    p = mdp.sparse_transitions()
    g = float(mdp.gamma)
    choice = np.argmax(rr, axis=1)
    v = float_values(mdp, rr, choice.tolist())
    for _ in range(iterations):
        tick()
        q = rr + g * (p @ v).reshape(n, m)
        here = q[np.arange(n), choice]
        best = np.argmax(q, axis=1)
        gain = q[np.arange(n), best] - here
        scale = 1e-12 * (np.abs(here) + 1.0)
        switch = gain > scale
        if not switch.any():
            break
        choice = np.where(switch, best, choice)
        v = float_values(mdp, rr, choice.tolist(), v)
    return choice.tolist(), v * sign


def policy_bounds(
    mdp: MDP,
    reward: ExactReward,
    choice: Sequence[int],
    values: Floats,
    *,
    optimum: bool = False,
) -> Bounds | None:
    """Certified bounds on V^pi for the deterministic policy ``choice`` around the float
    values; with ``optimum``, the upper bound holds for every action, so it bounds V* too
    (and the lower one does as V* >= V^pi).  None when the checks fail even after
    widening (the floats were too far off)."""
    g = float(mdp.gamma)
    if not g < 1:
        return None
    rows = _rows_of(mdp, choice)
    upper_rows = _rows_of(mdp, None) if optimum else rows
    p = mdp.sparse_transitions()
    r = reward.floats.reshape(-1)
    residual = r[rows] + g * (p[rows] @ values) - values
    scale = float(np.max(np.abs(values))) + float(np.max(np.abs(r[rows])))
    if not np.isfinite(scale) or not np.all(np.isfinite(residual)):
        return None
    # T(V + c) = TV + gamma c: a shift c with (1 - gamma) c > |TV - V| makes V + c a
    # super-solution; the exact check below decides, widening on failure
    margin = (float(np.max(np.abs(residual))) + 1e-15 * scale + 1e-300) / (1 - g)
    state_of_row = np.arange(len(upper_rows)) // mdp.n_actions if optimum else None
    for _ in range(ATTEMPTS):
        tick()
        margin *= 4
        lo, hi = values - margin, values + margin
        e = _exponent(np.concatenate((lo, hi)))
        lower, upper = _scaled(lo, e, up=False), _scaled(hi, e, up=True)
        a, b = _q_scaled(mdp, reward, lower, e, rows)
        if not np.all(a >= lower * b):
            continue
        a, b = _q_scaled(mdp, reward, upper, e, upper_rows)
        at = upper if state_of_row is None else upper[state_of_row]
        if not np.all(a <= at * b):
            continue
        return Bounds(lower, upper, e)
    return None


def undominated(
    mdp: MDP, reward: ExactReward, choice: Sequence[int], bounds: Bounds, *, strict: bool
) -> list[int]:
    """The non-terminal states where some other action's Q-value is not certified below
    V^pi (``strict``: strictly below); empty means the policy is optimal (uniquely so with
    ``strict``).  ``bounds`` bounds V^pi."""
    n, m = mdp.n_states, mdp.n_actions
    a, b = _q_scaled(mdp, reward, bounds.upper, bounds.exponent, _rows_of(mdp, None))
    floor = np.repeat(bounds.lower, m) * b
    below = a < floor if strict else a <= floor
    below = np.asarray(below, dtype=bool).reshape(n, m)
    below[np.arange(n), np.asarray(choice, dtype=np.int64)] = True
    ok = below.all(axis=1)
    return [s for s in np.flatnonzero(~ok).tolist() if s not in mdp.terminal]


def interval_text(lower: Fraction, upper: Fraction) -> str:
    """``mid ± half`` for a certified interval (floats: only for reading)."""
    mid, half = (lower + upper) / 2, (upper - lower) / 2
    return f"{float(mid):.15g} ± {float(half):.2g}"

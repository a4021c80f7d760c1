"""Exact sparse linear algebra over Fractions (Gaussian elimination with row dicts)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from alignspec.checking.deadline import remaining, tick

SparseRow = dict[int, Fraction]


class SingularSystem(ArithmeticError):
    """The system has no unique solution."""


def subtract(row: SparseRow, factor: Fraction, pivot: SparseRow) -> tuple[set[int], set[int]]:
    """``row -= factor * pivot`` in place, keeping the row sparse (zeros are dropped);
    returns the columns that became non-zero and those that became zero."""
    added, removed = set(), set()
    for j, w in pivot.items():
        new = row.get(j, Fraction(0)) - factor * w
        if new:
            if j not in row:
                added.add(j)
            row[j] = new
        elif j in row:
            del row[j]
            removed.add(j)
    return added, removed


#: Systems of this many unknowns (inclusive range) go to FLINT's exact dense solver when
#: python-flint is installed: its multimodular algorithms beat Python Fractions by one to
#: two orders of magnitude once elimination fills in (random transition graphs); smaller
#: systems and larger ones (memory: n^2 rationals) use sparse elimination below.
FLINT_RANGE = (48, 3000)

#: Seconds per n^3 of FLINT's dense solve, measured on random transition systems here
#: (n = 1500: 15 s), doubled.  FLINT runs in C and cannot be interrupted, so under a
#: wall-clock limit a solve expected to outlast it goes to sparse elimination, which can.
FLINT_SECONDS_PER_CUBE = 9e-9


def solve(rows: Sequence[SparseRow], rhs: Sequence[Fraction]) -> list[Fraction]:
    """Solve ``A x = b`` exactly; ``rows[i]`` is row i of A as {column: coefficient}.

    Mid-sized systems go to FLINT (exact rational arithmetic in C) when it is installed;
    otherwise pivots are chosen by sparsity (Markowitz-like: the shortest row with a non-zero
    in the column), which keeps fill-in small for transition matrices.
    """
    n = len(rows)
    ordered = _solve_acyclic(rows, rhs)
    if ordered is not None:
        return ordered
    left = remaining()
    fits = left is None or FLINT_SECONDS_PER_CUBE * n**3 < left
    if FLINT_RANGE[0] <= n <= FLINT_RANGE[1] and fits:
        solved = _solve_flint(rows, rhs)
        if solved is not None:
            return solved
    return _solve_sparse(rows, rhs)


def _solve_acyclic(rows: Sequence[SparseRow], rhs: Sequence[Fraction]) -> list[Fraction] | None:
    """Back substitution when the unknowns can be ordered so that each depends only on
    later ones (besides itself): a transition graph without cycles but self-loops, as in
    models with a step counter.  O(non-zeros) exact operations; None when there is a cycle."""
    n = len(rows)
    waiting = [0] * n  # how many other unknowns row i still needs
    needed_by: list[list[int]] = [[] for _ in range(n)]
    for i, row in enumerate(rows):
        for j in row:
            if j != i:
                waiting[i] += 1
                needed_by[j].append(i)
    ready = [i for i in range(n) if waiting[i] == 0]
    x: list[Fraction | None] = [None] * n
    solved = 0
    while ready:
        i = ready.pop()
        diagonal = rows[i].get(i, Fraction(0))
        if diagonal == 0:
            raise SingularSystem(f"unknown {i} has a zero coefficient and nothing to pivot on")
        rest = sum((w * x[j] for j, w in rows[i].items() if j != i), Fraction(0))  # type: ignore[operator]
        x[i] = (rhs[i] - rest) / diagonal
        solved += 1
        for k in needed_by[i]:
            waiting[k] -= 1
            if waiting[k] == 0:
                ready.append(k)
    if solved < n:
        return None  # a cycle: elimination it is
    return [v for v in x if v is not None]


def _solve_flint(rows: Sequence[SparseRow], rhs: Sequence[Fraction]) -> list[Fraction] | None:
    """FLINT's exact solve, or None when python-flint is not installed."""
    try:
        import flint
    except ImportError:
        return None
    n = len(rows)
    a = flint.fmpq_mat(n, n)
    for i, row in enumerate(rows):
        for j, w in row.items():
            a[i, j] = flint.fmpq(w.numerator, w.denominator)
    b = flint.fmpq_mat(n, 1, [flint.fmpq(x.numerator, x.denominator) for x in rhs])
    try:
        x = a.solve(b)
    except ZeroDivisionError:
        raise SingularSystem("the system is singular") from None
    return [Fraction(int(x[i, 0].p), int(x[i, 0].q)) for i in range(n)]


def _solve_sparse(rows: Sequence[SparseRow], rhs: Sequence[Fraction]) -> list[Fraction]:
    """Gaussian elimination over Fractions on sparse rows."""
    n = len(rows)
    a = [dict(r) for r in rows]
    b = list(rhs)
    by_col: dict[int, set[int]] = {}
    for i, r in enumerate(a):
        for j in r:
            by_col.setdefault(j, set()).add(i)
    pivot_of: dict[int, int] = {}
    done: set[int] = set()
    for col in range(n):
        tick()  # one elimination step can cost seconds once rows fill in
        candidates = [i for i in by_col.get(col, ()) if i not in done and a[i].get(col, 0) != 0]
        if not candidates:
            raise SingularSystem(f"no pivot for unknown {col}")
        p = min(candidates, key=lambda i: len(a[i]))
        done.add(p)
        pivot_of[col] = p
        prow, pval = a[p], a[p][col]
        for k, i in enumerate(list(by_col.get(col, ()))):
            if k & 31 == 31:
                tick()
            if i == p or a[i].get(col, 0) == 0:
                continue
            factor = a[i][col] / pval
            added, removed = subtract(a[i], factor, prow)
            for j in added:
                by_col.setdefault(j, set()).add(i)
            for j in removed:
                by_col[j].discard(i)
            b[i] -= factor * b[p]
    x = [Fraction(0)] * n
    for col in reversed(range(n)):
        p = pivot_of[col]
        total = b[p] - sum((v * x[j] for j, v in a[p].items() if j != col), Fraction(0))
        x[col] = total / a[p][col]
    return x


def consistent(
    rows: Sequence[SparseRow],
    rhs: Sequence[Fraction],
    n: int,
    *,
    sign: int | None = None,
    strict: bool = False,
) -> list[Fraction] | None:
    """A solution of the (possibly over- or under-determined) system ``A x = b`` in ``n``
    unknowns, exactly, or None when there is none.

    With ``sign`` (+1), unknown 0 must also be >= 0 (> 0 when ``strict``); free unknowns are
    chosen to satisfy that when they can.
    """
    pivots: dict[int, tuple[SparseRow, Fraction]] = {}  # column -> (reduced row, rhs)
    for row, value in zip(rows, rhs, strict=True):
        r, v = dict(row), value
        # pivot rows are fully reduced (no other pivot column), so one pass suffices
        for col in [c for c in r if c in pivots]:
            prow, pval = pivots[col]
            f = r[col]
            subtract(r, f, prow)
            v -= f * pval
        if not r:
            if v != 0:
                return None
            continue
        col = min(r, key=lambda c: (c == 0, c))  # keep unknown 0 free as long as possible
        lead = r[col]
        prow = {j: w / lead for j, w in r.items()}
        pval = v / lead
        for other, (orow, oval) in list(pivots.items()):
            if col in orow:
                f = orow[col]
                merged = dict(orow)
                subtract(merged, f, prow)
                pivots[other] = (merged, oval - f * pval)
        pivots[col] = (prow, pval)
    x = [Fraction(0)] * n
    if sign is not None:
        if 0 in pivots:
            prow, pval = pivots[0]
            movable = [j for j in prow if j != 0]
            base = pval
            if movable:  # unknown 0 = base - k * x_j: pick x_j to make it positive
                j = movable[0]
                x[j] = (base - 1) / prow[j]
            elif base < 0 or (strict and base == 0):
                return None
        else:
            x[0] = Fraction(1)
    for col, (prow, pval) in pivots.items():
        x[col] = pval - sum((w * x[j] for j, w in prow.items() if j != col), Fraction(0))
    return x


#: Exact elimination is used up to this many unknowns; beyond, only the float fast path.
EXACT_LIMIT = 400


def rational_solution(
    rows: Sequence[SparseRow],
    rhs: Sequence[Fraction],
    n: int,
    *,
    sign: int | None = None,
    strict: bool = False,
    check: Callable[[list[Fraction]], bool],
) -> list[Fraction] | str | None:
    """Like :func:`consistent`, fast for large systems: a float least-squares solution is
    rounded to nearby fractions and accepted only if ``check`` (an exact verification)
    passes; otherwise exact elimination decides, up to ``EXACT_LIMIT`` unknowns.
    Returns the solution, None (no solution), or a string saying why it could not decide.
    """
    import numpy as np
    from scipy.sparse import lil_matrix
    from scipy.sparse.linalg import lsqr

    if rows:
        A = lil_matrix((len(rows), n))
        for i, row in enumerate(rows):
            for j, v in row.items():
                A[i, j] = float(v)
        b = np.array([float(v) for v in rhs])
        x = lsqr(A.tocsr(), b, atol=1e-14, btol=1e-14, iter_lim=20 * n)[0]
        for limit in (1, 10, 100, 1000, 10**6):
            guess = [Fraction(float(v)).limit_denominator(limit) for v in x]
            if sign is not None and (guess[0] < 0 or (strict and guess[0] == 0)):
                continue
            if check(guess):
                return guess
    if n > EXACT_LIMIT:
        return f"no rational solution near the float one, and {n} unknowns exceed exact elimination"
    return consistent(rows, rhs, n, sign=sign, strict=strict)

"""Exact sparse linear algebra over Fractions (Gaussian elimination with row dicts)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

SparseRow = dict[int, Fraction]


class SingularSystem(ArithmeticError):
    """The system has no unique solution."""


def solve(rows: Sequence[SparseRow], rhs: Sequence[Fraction]) -> list[Fraction]:
    """Solve ``A x = b`` exactly; ``rows[i]`` is row i of A as {column: coefficient}.

    Pivots are chosen by sparsity (Markowitz-like: the shortest row with a non-zero in the
    column), which keeps fill-in small for transition matrices.
    """
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
        candidates = [i for i in by_col.get(col, ()) if i not in done and a[i].get(col, 0) != 0]
        if not candidates:
            raise SingularSystem(f"no pivot for unknown {col}")
        p = min(candidates, key=lambda i: len(a[i]))
        done.add(p)
        pivot_of[col] = p
        prow, pval = a[p], a[p][col]
        for i in list(by_col.get(col, ())):
            if i == p or a[i].get(col, 0) == 0:
                continue
            factor = a[i][col] / pval
            row = a[i]
            for j, v in prow.items():
                new = row.get(j, Fraction(0)) - factor * v
                if new == 0:
                    if j in row:
                        del row[j]
                        by_col[j].discard(i)
                else:
                    if j not in row:
                        by_col.setdefault(j, set()).add(i)
                    row[j] = new
            b[i] -= factor * b[p]
    x = [Fraction(0)] * n
    for col in reversed(range(n)):
        p = pivot_of[col]
        total = b[p] - sum((v * x[j] for j, v in a[p].items() if j != col), Fraction(0))
        x[col] = total / a[p][col]
    return x

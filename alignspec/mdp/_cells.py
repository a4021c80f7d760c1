"""Long horizons for controllers that read a few state variables: cells for the core,
intervals for the rest.

A decision tree on the cart-pole reads only the pole (theta, theta_dot), and the pole's
update reads only the pole and the action: a closed *core* of two variables.  The cart
(x, x_dot) is *driven*: its update is affine in everything, and nothing in the core
reads it.  Chattering on the tree's switching surface makes almost every start state take
its own action sequence, so sets per sequence explode; but the core's states live in a
small band, which a grid of cells covers soundly:

- the core is abstracted by grid cells (exact rational corners): a cell's successors
  are the cells meeting the exact image box of the cell under each action the tree may
  take on it (decided exactly), widened by a margin that dominates float rounding;
- the cells reachable in exactly t steps (a sparse matrix-vector product per step) hold
  every core state at step t;
- each driven variable x is tracked as ``z = x + k . core``, with ``k`` chosen (exact
  linear algebra) so the action drops out of z's update where possible; z's interval
  grows by the core's per-step box, and x's interval is ``z - k . core``.

Every set contains the true states, so safety of every layer (declared bounds) is a
proof for that horizon.  Nothing here reports violations (the caller simulates).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import scipy.sparse as sparse

from alignspec.actions import Actions
from alignspec.mdp.system import TransitionSystem
from alignspec.policy.regions import tree_actions
from alignspec.policy.tree import Leaf, Node, TreePolicy
from alignspec.solver import Budget
from alignspec.space import Real

Interval = tuple[Fraction, Fraction]
#: Added to every float image bound before it picks cells: far above float64 rounding
#: of these small sums (about 1e-15), so no cell an exact image meets is missed.
MARGIN = 1e-9


@attrs.frozen
class CellReach:
    """The outcome: ``status`` "proved" (every step up to the horizon safe), else
    "unknown" with the reason; ``cells`` is the number of core cells visited."""

    status: str
    reason: str | None = None
    cells: int = 0
    core: tuple[str, ...] = ()
    # with keep_layers: the cell widths and, per step, the core cells (integer indices)
    widths: tuple[Fraction, ...] = ()
    layers: tuple[Any, ...] = ()


#: Driven intervals are rounded outward to multiples of 2**-ROUND each step (sound; keeps
#: the rationals short over hundreds of steps).
ROUND = 40


def _outward(lo: Fraction, hi: Fraction) -> Interval:
    scale = 2**ROUND
    return Fraction(math.floor(lo * scale), scale), Fraction(math.ceil(hi * scale), scale)


def _reads(node: Node, out: set[str]) -> None:
    if isinstance(node, Leaf):
        return
    out.add(node.variable)
    _reads(node.left, out)
    _reads(node.right, out)


def split(
    names: Sequence[str],
    pieces: Mapping[str, tuple[Sequence[Sequence[Fraction]], Sequence[Fraction]]],
    policy: TreePolicy,
) -> tuple[list[int], list[int]] | None:
    """Indices of the core (what the tree reads, closed under the update's reads) and of
    the driven rest; None when the core is everything."""
    index = {n: i for i, n in enumerate(names)}
    read: set[str] = set()
    _reads(policy.root, read)
    core = {index[n] for n in read}
    while True:
        grown = set(core)
        for m, _ in pieces.values():
            for i in core:
                grown |= {j for j, a in enumerate(m[i]) if a}
        if grown == core:
            break
        core = grown
    if len(core) == len(names):
        return None
    return sorted(core), [i for i in range(len(names)) if i not in core]


def _solve(rows: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """One exact solution of ``rows . k = rhs`` (free unknowns 0), None if inconsistent."""
    n = len(rows[0]) if rows else 0
    aug = [list(r) + [b] for r, b in zip(rows, rhs, strict=True)]
    pivots: list[int] = []
    r = 0
    for c in range(n):
        p = next((i for i in range(r, len(aug)) if aug[i][c] != 0), None)
        if p is None:
            continue
        aug[r], aug[p] = aug[p], aug[r]
        aug[r] = [x / aug[r][c] for x in aug[r]]
        for i in range(len(aug)):
            if i != r and aug[i][c] != 0:
                f = aug[i][c]
                aug[i] = [x - f * y for x, y in zip(aug[i], aug[r], strict=True)]
        pivots.append(c)
        r += 1
    if any(all(x == 0 for x in row[:-1]) and row[-1] != 0 for row in aug):
        return None
    k = [Fraction(0)] * n
    for i, c in enumerate(pivots):
        k[c] = aug[i][-1]
    return k


def cell_reach(
    system: TransitionSystem,
    policy: TreePolicy,
    names: Sequence[str],
    pieces: Mapping[str, tuple[Sequence[Sequence[Fraction]], Sequence[Fraction]]],
    start: Sequence[Interval],
    horizon: int,
    budget: Budget,
    *,
    per_start: int = 50,
    max_cells: int = 300_000,
    keep_layers: bool = False,
) -> CellReach | None:
    """Is every state reachable within ``horizon`` steps inside the declared bounds?
    None when the tree reads every variable (no core/driven split)."""
    parts = split(names, pieces, policy)
    if parts is None:
        return None
    core, driven = parts
    assert isinstance(policy.actions, Actions)
    labels = policy.actions.labels
    decl = []
    for name in names:
        var = system.space.variables[name]
        assert isinstance(var, Real)
        decl.append((Fraction(var.lo), Fraction(var.hi)))
    # cell widths: a fraction of the start box, a short dyadic
    widths = []
    for i in core:
        w = (start[i][1] - start[i][0]) / per_start or (decl[i][1] - decl[i][0]) / 1000
        widths.append(Fraction(2) ** math.floor(math.log2(w)))
    maps = {
        a: (
            np.array([[float(pieces[a][0][i][j]) for j in core] for i in core]),
            np.array([float(pieces[a][1][i]) for i in core]),
        )
        for a in labels
    }
    wf = np.array([float(w) for w in widths])

    def cell_box(cell: tuple[int, ...]) -> list[Interval]:
        return [(k * w, (k + 1) * w) for k, w in zip(cell, widths, strict=True)]

    def first_cells(box: Sequence[Interval]) -> list[tuple[int, ...]]:
        ranges = [
            range(math.floor(lo / w), math.floor(hi / w) + 1)
            for (lo, hi), w in zip(box, widths, strict=True)
        ]
        return [
            tuple(c)
            for c in np.array(np.meshgrid(*ranges, indexing="ij")).reshape(len(core), -1).T.tolist()
        ]

    # the tree over a core cell: its matrix is the identity on the core, 0 elsewhere
    n = len(names)
    ident = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    zeros = [Fraction(0)] * n

    def successors(cell: tuple[int, ...]) -> list[tuple[int, ...]]:
        box = cell_box(cell)
        full = list(decl)
        for i, b in zip(core, box, strict=True):
            full[i] = b
        out: list[tuple[int, ...]] = []
        corners = np.array(np.meshgrid(*[[float(lo), float(hi)] for lo, hi in box], indexing="ij"))
        corners = corners.reshape(len(core), -1).T
        for lab in tree_actions(policy, ident, zeros, full):
            mat, off = maps[lab]
            image = corners @ mat.T + off
            lo = np.floor((image.min(axis=0) - MARGIN) / wf).astype(int)
            hi = np.floor((image.max(axis=0) + MARGIN) / wf).astype(int)
            grid = (
                np.array(
                    np.meshgrid(
                        *[np.arange(a_, b_ + 1) for a_, b_ in zip(lo, hi, strict=True)],
                        indexing="ij",
                    )
                )
                .reshape(len(core), -1)
                .T
            )
            out += [tuple(g) for g in grid.tolist()]
        return out

    # every cell reachable from the start cells, and the one-step relation between them
    starts = first_cells([start[i] for i in core])
    ids: dict[tuple[int, ...], int] = {}
    order: list[tuple[int, ...]] = []
    for cell in starts:
        if cell not in ids:
            ids[cell] = len(order)
            order.append(cell)
    rows: list[int] = []
    cols: list[int] = []
    k = 0
    while k < len(order):
        if budget.expired:
            return CellReach("unknown", budget.timeout_reason, len(order))
        if len(order) > max_cells:
            return CellReach(
                "unknown", f"more than {max_cells} core cells were reachable", len(order)
            )
        here_box = cell_box(order[k])
        outside = any(
            lo < decl[i][0] or hi > decl[i][1] for (lo, hi), i in zip(here_box, core, strict=True)
        )
        # a cell past the declared bounds is not expanded: reaching it fails the check
        for s in [] if outside else set(successors(order[k])):
            if s not in ids:
                ids[s] = len(order)
                order.append(s)
            rows.append(k)
            cols.append(ids[s])
        k += 1
    step = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (cols, rows)), shape=(len(order), len(order))
    )
    cells = np.array(order, dtype=np.int64)
    # driven variables as z = x + k . core, with the action dropped where possible
    ks: list[list[Fraction]] = []
    for d in driven:
        eqs, rhs = [], []
        first = labels[0]
        for lab in labels[1:]:
            for j in range(n + 1):
                # (row_a - row_first) + k . (core rows_a - core rows_first) = 0
                def entry(lab: str, i: int, j: int = j) -> Fraction:
                    return pieces[lab][0][i][j] if j < n else pieces[lab][1][i]

                eqs.append([entry(lab, i) - entry(first, i) for i in core])
                rhs.append(-(entry(lab, d) - entry(first, d)))
        found = _solve(eqs, rhs) if eqs else None
        ks.append(found if found is not None else [Fraction(0)] * len(core))
    # z's update in terms of (z, core): z' = sum over driven e of P[e] z_e + Q . core + r
    layer = np.zeros(len(order), dtype=bool)
    layer[[ids[cell] for cell in starts]] = True
    # interval of z at t = 0 over the start box
    z = []
    for d, k_d in zip(driven, ks, strict=True):
        lo = start[d][0] + sum(
            (min(a * start[i][0], a * start[i][1]) for a, i in zip(k_d, core, strict=True)),
            Fraction(0),
        )
        hi = start[d][1] + sum(
            (max(a * start[i][0], a * start[i][1]) for a, i in zip(k_d, core, strict=True)),
            Fraction(0),
        )
        z.append((lo, hi))
    kept = []
    for t in range(horizon + 1):
        if budget.expired:
            return CellReach("unknown", budget.timeout_reason, len(order))
        here = cells[layer]
        if keep_layers:
            kept.append(here)
        box = [
            (
                Fraction(int(here[:, j].min())) * widths[j],
                Fraction(int(here[:, j].max()) + 1) * widths[j],
            )
            for j in range(len(core))
        ]
        # core safe?
        for (lo, hi), i in zip(box, core, strict=True):
            if lo < decl[i][0] or hi > decl[i][1]:
                return CellReach(
                    "unknown",
                    f"the core cells of step {t} reach past the declared bounds of "
                    f"{names[i]!r} ({float(lo):.4g}..{float(hi):.4g})",
                    len(order),
                )
        # driven values: x = z - k . core
        for (zl, zh), d, k_d in zip(z, driven, ks, strict=True):
            lo = zl - sum(
                (max(a * b[0], a * b[1]) for a, b in zip(k_d, box, strict=True)), Fraction(0)
            )
            hi = zh - sum(
                (min(a * b[0], a * b[1]) for a, b in zip(k_d, box, strict=True)), Fraction(0)
            )
            if t > 0 and (lo < decl[d][0] or hi > decl[d][1]):
                return CellReach(
                    "unknown",
                    f"the interval of {names[d]!r} at step {t} ({float(lo):.4g}..{float(hi):.4g}) "
                    "reaches past its declared bounds",
                    len(order),
                )
        if t == horizon:
            break
        # step the driven intervals: each action's affine row, hull over the actions
        new_z = []
        for d, k_d in zip(driven, ks, strict=True):
            lows, highs = [], []
            for lab in labels:
                m, c = pieces[lab]
                row = [
                    m[d][j]
                    + sum((kk * m[i][j] for kk, i in zip(k_d, core, strict=True)), Fraction(0))
                    for j in range(n)
                ]
                const = c[d] + sum(
                    (kk * c[i] for kk, i in zip(k_d, core, strict=True)), Fraction(0)
                )
                # x_e = z_e - k_e . core for driven e; core from the box
                coef_core = {i: row[i] for i in core}
                lo = hi = const
                for e, k_e, (zl, zh) in zip(driven, ks, z, strict=True):
                    a_e = row[e]
                    lo += min(a_e * zl, a_e * zh)
                    hi += max(a_e * zl, a_e * zh)
                    for kk, i in zip(k_e, core, strict=True):
                        coef_core[i] -= a_e * kk
                for i, b in zip(core, box, strict=True):
                    a_i = coef_core[i]
                    lo += min(a_i * b[0], a_i * b[1])
                    hi += max(a_i * b[0], a_i * b[1])
                lows.append(lo)
                highs.append(hi)
            new_z.append(_outward(min(lows), max(highs)))
        z = new_z
        layer = (step @ layer.astype(np.int32)) > 0
    return CellReach(
        "proved",
        cells=len(order),
        core=tuple(names[i] for i in core),
        widths=tuple(widths),
        layers=tuple(kept),
    )

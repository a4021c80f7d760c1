"""Three-valued evaluation of a neural query over many boxes at once, and float evaluation
at points (for the counterexample search).

Over a box every linear form gets sound bounds: its network part from CROWN (a linear
function of the network's inputs, :mod:`alignspec.neural.bounds`), its dims part exactly as
written; both are added as linear functions before the sum is minimised over the box, so
correlations between them are kept.  Coefficients that are not float64 values enter as the
nearest float plus an error term ``|c - fl(c)| * max|x|`` added outward.  Non-linear terms
use interval arithmetic with one ulp of outward rounding per operation.  A condition is then
*must* (true at every point of the box) or *may* (true at some point, possibly): a box where
the query's condition may not hold contains no counterexample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import attrs
import numpy as np
import numpy.typing as npt

from alignspec.neural import bounds as nb
from alignspec.neural.query import (
    Atom,
    Compare,
    Cond,
    Ite,
    Junction,
    Lin,
    Negation,
    NeuralQuery,
    Num,
    Op,
    Truth,
)
from alignspec.neural.refine import refined
from alignspec.symbolic.network import Network

F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


def _float_down(x: Fraction) -> float:
    f = float(x)
    return f if Fraction(f) <= x else math.nextafter(f, -math.inf)


def _float_up(x: Fraction) -> float:
    f = float(x)
    return f if Fraction(f) >= x else math.nextafter(f, math.inf)


def _nearest(x: Fraction) -> tuple[float, float]:
    """The nearest float and an upper bound on its distance from ``x``."""
    f = float(x)
    gap = abs(x - Fraction(f))
    return f, 0.0 if not gap else _float_up(gap)


_FLOAT_NETS: dict[int, tuple[Network, nb.FloatNet]] = {}


def float_net(network: Network) -> nb.FloatNet:
    """The float64 view of an exact network: nearest floats plus their rounding errors."""
    cached = _FLOAT_NETS.get(id(network))
    if cached is not None and cached[0] is network:
        return cached[1]
    layers, errors = [], []
    for layer in network.layers:
        w = [[_nearest(x) for x in row] for row in layer.weights]
        b = [_nearest(x) for x in layer.bias]
        layers.append((np.array([[p[0] for p in r] for r in w]), np.array([p[0] for p in b])))
        errors.append((np.array([[p[1] for p in r] for r in w]), np.array([p[1] for p in b])))
    net = nb.FloatNet(layers, errors)
    _FLOAT_NETS[id(network)] = (network, net)
    return net


@attrs.frozen
class _Rows:
    """The linear forms of a query as float matrices (one row per distinct form)."""

    forms: tuple[Lin, ...]
    dim_coef: F64  # (m, n_dims) nearest floats
    dim_err: F64  # (m, n_dims) their errors
    const_lo: F64  # (m,)
    const_hi: F64
    out_coef: tuple[F64, ...]  # per network (m, n_out)
    out_err: tuple[F64, ...]
    uses: tuple[npt.NDArray[np.intp], ...]  # per network: rows with outputs of it


def _collect(cond: Cond, out: dict[Lin, int]) -> None:
    if isinstance(cond, Atom):
        out.setdefault(cond.lin, len(out))
    elif isinstance(cond, Compare):
        _collect_num(cond.left, out)
        _collect_num(cond.right, out)
    elif isinstance(cond, Junction):
        for a in cond.args:
            _collect(a, out)
    elif isinstance(cond, Negation):
        _collect(cond.arg, out)


def _collect_num(num: Num, out: dict[Lin, int]) -> None:
    if isinstance(num, Lin):
        out.setdefault(num, len(out))
    elif isinstance(num, Ite):
        _collect(num.cond, out)
        _collect_num(num.then, out)
        _collect_num(num.other, out)
    else:
        for a in num.args:
            _collect_num(a, out)


def _sides(cond: Cond, positive: bool, out: dict[Lin, set[str]]) -> None:
    """Which bounds of each form decide whether the condition *may* hold: a form in an atom
    that must fail for the box to close needs its lower bound (``lin <= 0`` fails when
    ``lo > 0``), under a negation its upper bound; inside other terms, both."""
    if isinstance(cond, Atom):
        side = {"lo"} if cond.op != "==" else {"lo", "hi"}
        if not positive:
            side = {"hi"} if cond.op != "==" else {"lo", "hi"}
        out.setdefault(cond.lin, set()).update(side)
    elif isinstance(cond, Compare):
        _both(cond.left, out)
        _both(cond.right, out)
    elif isinstance(cond, Junction):
        for a in cond.args:
            _sides(a, positive, out)
    elif isinstance(cond, Negation):
        _sides(cond.arg, not positive, out)


def _both(num: Num, out: dict[Lin, set[str]]) -> None:
    if isinstance(num, Lin):
        out.setdefault(num, set()).update({"lo", "hi"})
    elif isinstance(num, Ite):
        _sides(num.cond, True, out)
        _sides(num.cond, False, out)
        _both(num.then, out)
        _both(num.other, out)
    else:
        for a in num.args:
            _both(a, out)


def _rows(query: NeuralQuery, index: dict[Lin, int]) -> _Rows:
    m, n = len(index), len(query.dims)
    forms = tuple(sorted(index, key=index.__getitem__))
    dim_coef, dim_err = np.zeros((m, n)), np.zeros((m, n))
    const_lo, const_hi = np.zeros(m), np.zeros(m)
    outs = [len(net.link.network.layers[-1].bias) for net in query.nets]
    out_coef = [np.zeros((m, k)) for k in outs]
    out_err = [np.zeros((m, k)) for k in outs]
    for r, lin in enumerate(forms):
        const_lo[r], const_hi[r] = _float_down(lin.const), _float_up(lin.const)
        for d, c in lin.dims:
            dim_coef[r, d], dim_err[r, d] = _nearest(c)
        for (j, k), c in lin.outs:
            out_coef[j][r, k], out_err[j][r, k] = _nearest(c)
    uses = tuple(np.flatnonzero(np.any(c != 0, axis=1)) for c in out_coef)
    return _Rows(
        forms, dim_coef, dim_err, const_lo, const_hi, tuple(out_coef), tuple(out_err), uses
    )


@attrs.frozen
class BoxBounds:
    """Bounds of every linear form (rows) over B boxes, and what the splitter needs."""

    lo: F64  # (B, m)
    hi: F64
    influence: F64  # (B, n_dims): how much each dim moves the forms' bounds
    unstable: npt.NDArray[np.int64]  # (B,) unstable neurons over all networks
    layers: tuple[tuple[tuple[F64, F64], ...], ...]  # per network: pre-activation bounds
    # the lower linear functions behind ``lo`` (float, for choosing combinations), the
    # boxes, and each network's bounds (for one more CROWN row)
    lower_a: F64 | None = None  # (B, m, n_dims)
    lower_a0: F64 | None = None  # (B, m)
    box_lo: F64 | None = None
    box_hi: F64 | None = None
    syms: tuple[nb.SymbolicBounds, ...] = ()


class Evaluator:
    """Bounds and three-valued truth of a query's condition over batches of boxes."""

    def __init__(self, query: NeuralQuery, *, refine: bool = True) -> None:
        self.query = query
        index: dict[Lin, int] = {}
        _collect(query.formula, index)
        self.index = index
        self.rows = _rows(query, index)
        sides: dict[Lin, set[str]] = {}
        _sides(query.formula, True, sides)
        self.need_lo = np.array([("lo" in sides.get(f, set())) for f in self.rows.forms], bool)
        self.need_hi = np.array([("hi" in sides.get(f, set())) for f in self.rows.forms], bool)
        self.has_out = np.array([bool(f.outs) for f in self.rows.forms], bool)
        self.nets = [float_net(net.link.network) for net in query.nets]
        self.inputs = [np.array(net.inputs, dtype=np.intp) for net in query.nets]
        self.refine = refine

    # --- bounds over boxes ----------------------------------------------------------------
    def bounds(self, lo: F64, hi: F64, alpha: int = 0) -> BoxBounds:
        """Sound bounds of every linear form over each box ``[lo_b, hi_b]`` (B, n_dims);
        with ``alpha`` > 0, that many optimisation steps of the ReLU lower slopes per form
        (alpha-CROWN: tighter, about ``alpha`` times the cost)."""
        rows = self.rows
        batch, n = lo.shape
        m = len(rows.forms)
        zeros_a, zeros_0 = np.zeros((batch, m, n)), np.zeros((batch, m))
        low = nb.LinearBound("lower", zeros_0, zeros_a, zeros_0, lo, hi)
        up = nb.LinearBound("upper", zeros_0, zeros_a, zeros_0, lo, hi)
        err = np.zeros((batch, m))  # error terms of inexact coefficients, added outward
        unstable = np.zeros(batch, dtype=np.int64)
        layers = []
        syms: list[nb.SymbolicBounds] = []
        vabs = np.maximum(np.abs(lo), np.abs(hi))
        for j, (net, inputs) in enumerate(zip(self.nets, self.inputs, strict=True)):
            sym = nb.symbolic_bounds(net, lo[:, inputs], hi[:, inputs])
            if self.refine:
                sym = refined(net, sym)
            syms.append(sym)
            unstable += sym.num_unstable()
            layers.append(sym.bounds)
            used_lo = rows.uses[j][self.need_lo[rows.uses[j]]]
            used_hi = rows.uses[j][self.need_hi[rows.uses[j]]]
            if len(used_lo):
                lb = nb.crown_lower(
                    net, sym, rows.out_coef[j][used_lo], alpha=alpha > 0, alpha_steps=alpha
                )
                for a_full, a0 in _scatter(lb, used_lo, inputs, batch, m, n):
                    low = low.add_linear(a_full, a0)
            if len(used_hi):
                ub = nb.crown_upper(
                    net, sym, rows.out_coef[j][used_hi], alpha=alpha > 0, alpha_steps=alpha
                )
                for a_full, a0 in _scatter(ub, used_hi, inputs, batch, m, n):
                    up = up.add_linear(a_full, a0)
            if np.any(rows.out_err[j]):
                ylo, yhi = sym.bounds[-1]
                yabs = np.maximum(np.abs(ylo), np.abs(yhi))  # (B, n_out), maybe inf
                with np.errstate(invalid="ignore"):
                    term = nb._up_nonneg(yabs @ rows.out_err[j].T, yabs.shape[1] + 1)
                term = np.where(np.isnan(term), np.inf, term)  # inf * 0: no bound
                err = nb._up_nonneg(err + term, 2)
        low = low.add_linear(rows.dim_coef, rows.const_lo)
        up = up.add_linear(rows.dim_coef, rows.const_hi)
        if np.any(rows.dim_err):
            with np.errstate(invalid="ignore"):
                term = nb._up_nonneg(vabs @ rows.dim_err.T, n + 1)
            term = np.where(np.isnan(term), np.inf, term)
            err = nb._up_nonneg(err + term, 2)
        lo_b, hi_b = low.bound, up.bound
        if np.any(err):
            lo_b = nb._pred(lo_b - err)
            hi_b = nb._succ(hi_b + err)
        # a side that was not computed (its network part is missing) is no bound at all
        lo_b = np.where(self.need_lo | ~self.has_out, lo_b, -np.inf)
        hi_b = np.where(self.need_hi | ~self.has_out, hi_b, np.inf)
        width = hi - lo
        influence = (np.abs(low.A).sum(axis=1) + np.abs(up.A).sum(axis=1)) * width
        return BoxBounds(
            lo_b, hi_b, influence, unstable, tuple(layers), low.A, low.a0, lo, hi, tuple(syms)
        )

    # --- three-valued evaluation ----------------------------------------------------------
    def truth(self, b: BoxBounds) -> tuple[Bools, Bools]:
        """(must, may) of the query's condition on each box."""
        must, may = self._cond(self.query.formula, b)
        return must, self._combined(b, may)

    def _combined(self, b: BoxBounds, may: Bools) -> Bools:
        """Close more boxes of a top-level conjunction ``lin_1 <= 0 and ... and lin_k <= 0``
        whose atoms may each hold alone: a combination ``sum lambda_j lin_j`` (lambda >= 0)
        that is positive over the whole box shows they never hold together.  lambda comes
        from a few steps of subgradient ascent on the float linear bounds; the combination
        itself is bounded soundly (one more CROWN row, its rounding added outward)."""
        f = self.query.formula
        if not (isinstance(f, Junction) and f.kind == "and") or not may.any():
            return may
        if b.lower_a is None or b.lower_a0 is None or b.box_lo is None or b.box_hi is None:
            return may
        rows = self.rows
        groups: dict[int, list[int]] = {}
        for a in f.args:
            if not (isinstance(a, Atom) and a.op != "==" and a.lin.outs):
                continue
            links = {j for (j, _), _ in a.lin.outs}
            r = self.index[a.lin]
            if len(links) != 1 or np.any(rows.dim_err[r]) or not self.need_lo[r]:
                continue
            (j,) = links
            if np.any(rows.out_err[j][r]):
                continue
            groups.setdefault(j, []).append(r)
        for j, atoms in groups.items():
            if len(atoms) < 2 or not may.any():
                continue
            idx = np.array(atoms)
            lam = _weights(b.lower_a[:, idx], b.lower_a0[:, idx], b.box_lo, b.box_hi)
            closed = self._positive(j, idx, lam, b)
            may = may & ~closed
        return may

    def _positive(self, j: int, idx: npt.NDArray[np.intp], lam: F64, b: BoxBounds) -> Bools:
        """Boxes where ``sum_j lam_j lin_j > 0`` everywhere (sound)."""
        rows = self.rows
        assert b.box_lo is not None and b.box_hi is not None
        net, inputs, sym = self.nets[j], self.inputs[j], b.syms[j]
        e = rows.out_coef[j][idx]  # (k, n_out) exact floats
        c = rows.dim_coef[idx]  # (k, n_dims)
        k = len(idx)
        with np.errstate(all="ignore"):
            # the combination's coefficients in float; |exact - float| <= gamma_k sum|terms|
            out = lam @ e  # (B, n_out)
            dims = lam @ c  # (B, n_dims)
            const = nb._pred(lam @ rows.const_lo[idx])  # a lower bound of sum lam_j d_j
            gamma = 4.0 * (k + 1) * 2.0**-53
            out_err = gamma * (lam @ np.abs(e)) + 1e-300
            dim_err = gamma * (lam @ np.abs(c)) + 1e-300
            const_err = gamma * (lam @ np.abs(rows.const_lo[idx])) + 1e-300
            lb = nb.crown_lower(net, sym, out[:, None, :])
            batch, n = b.box_lo.shape
            zero_a, zero_0 = np.zeros((batch, 1, n)), np.zeros((batch, 1))
            low = nb.LinearBound("lower", zero_0, zero_a, zero_0, b.box_lo, b.box_hi)
            for a_part, a0 in _scatter(lb, np.array([0]), inputs, batch, 1, n):
                low = low.add_linear(a_part, a0)
            low = low.add_linear(dims[:, None, :], const[:, None])
            ylo, yhi = sym.bounds[-1]
            yabs = np.maximum(np.abs(ylo), np.abs(yhi))
            xabs = np.maximum(np.abs(b.box_lo), np.abs(b.box_hi))
            err = (out_err * yabs).sum(axis=1) + (dim_err * xabs).sum(axis=1) + const_err
            err = nb._up_nonneg(err * 2.0, 2 * (n + yabs.shape[1]) + 2)
            value = nb._pred(low.bound[:, 0] - err)
        return np.asarray(np.isfinite(value) & (value > 0), bool)

    def _cond(self, c: Cond, b: BoxBounds) -> tuple[Bools, Bools]:
        batch = b.lo.shape[0]
        if isinstance(c, Truth):
            v = np.full(batch, c.value)
            return v, v.copy()
        if isinstance(c, Atom):
            r = self.index[c.lin]
            return _compare(c.op, b.lo[:, r], b.hi[:, r])
        if isinstance(c, Compare):
            llo, lhi = self._num(c.left, b)
            rlo, rhi = self._num(c.right, b)
            return _compare(c.op, nb._pred(llo - rhi), nb._succ(lhi - rlo))
        if isinstance(c, Negation):
            must, may = self._cond(c.arg, b)
            return ~may, ~must
        assert isinstance(c, Junction)
        parts = [self._cond(a, b) for a in c.args]
        musts = np.array([p[0] for p in parts], dtype=bool)
        mays = np.array([p[1] for p in parts], dtype=bool)
        if c.kind == "and":
            return np.asarray(musts.all(axis=0)), np.asarray(mays.all(axis=0))
        return np.asarray(musts.any(axis=0)), np.asarray(mays.any(axis=0))

    def _num(self, e: Num, b: BoxBounds) -> tuple[F64, F64]:
        if isinstance(e, Lin):
            r = self.index[e]
            return b.lo[:, r], b.hi[:, r]
        if isinstance(e, Ite):
            must, may = self._cond(e.cond, b)
            tlo, thi = self._num(e.then, b)
            olo, ohi = self._num(e.other, b)
            lo = np.where(must, tlo, np.where(~may, olo, np.minimum(tlo, olo)))
            hi = np.where(must, thi, np.where(~may, ohi, np.maximum(thi, ohi)))
            return lo, hi
        args = [self._num(a, b) for a in e.args]
        return _interval_op(e, args)


def _weights(a: F64, a0: F64, lo: F64, hi: F64, steps: int = 30) -> F64:
    """Weights lambda (B, k) on the simplex making ``min_x sum_j lambda_j (a_j x + a0_j)``
    over each box large: projected subgradient ascent, the best iterate kept.  Floats:
    the caller bounds the combination it picks soundly."""
    batch, k, _ = a.shape
    lam = np.full((batch, k), 1.0 / k)
    best, best_val = lam.copy(), np.full(batch, -np.inf)
    with np.errstate(all="ignore"):
        for t in range(steps):
            coef = np.einsum("bk,bkn->bn", lam, a)
            corner = np.where(coef > 0, lo, hi)
            vals = np.einsum("bkn,bn->bk", a, corner) + a0  # each form at the minimiser
            value = (lam * vals).sum(axis=1)
            better = value > best_val
            best[better], best_val[better] = lam[better], value[better]
            scale = np.abs(vals).max(axis=1, keepdims=True) + 1e-12
            lam = np.clip(lam + vals / scale / (2 + t), 0.0, None)
            total = lam.sum(axis=1, keepdims=True)
            lam = np.where(total > 0, lam / np.where(total > 0, total, 1.0), 1.0 / k)
    return np.where(np.isfinite(best), best, 1.0 / k)


def _scatter(
    bound: nb.LinearBound,
    used: npt.NDArray[np.intp],
    inputs: npt.NDArray[np.intp],
    batch: int,
    m: int,
    n: int,
) -> list[tuple[F64, F64]]:
    """A network's linear bound (rows ``used``, over its ``inputs``) as functions of every
    dim, to be added one after another: placing coefficients is exact, but one dim feeding
    two inputs would need a float sum, so such columns go into separate terms."""
    groups: list[list[int]] = []
    for col, dim in enumerate(inputs.tolist()):
        for g in groups:
            if all(inputs[c] != dim for c in g):
                g.append(col)
                break
        else:
            groups.append([col])
    out = []
    for i, cols in enumerate(groups):
        a_full = np.zeros((batch, m, n))
        a_full[:, used[:, None], inputs[cols][None, :]] = bound.A[:, :, cols]
        a0 = np.zeros((batch, m))
        if i == 0:
            a0[:, used] = bound.a0
        out.append((a_full, a0))
    return out


def _compare(op: str, lo: F64, hi: F64) -> tuple[Bools, Bools]:
    """(must, may) of ``v OP 0`` for every v in [lo, hi]."""
    with np.errstate(invalid="ignore"):
        if op == "<=":
            return hi <= 0, lo <= 0
        if op == "<":
            return hi < 0, lo < 0
        return (lo == 0) & (hi == 0), (lo <= 0) & (hi >= 0)


def _interval_op(e: Op, args: Sequence[tuple[F64, F64]]) -> tuple[F64, F64]:
    with np.errstate(all="ignore"):
        if e.kind == "add":
            lo, hi = args[0]
            for alo, ahi in args[1:]:
                lo, hi = nb._pred(lo + alo), nb._succ(hi + ahi)
            return lo, hi
        if e.kind == "mul":
            lo, hi = args[0]
            for alo, ahi in args[1:]:
                cands = np.array([lo * alo, lo * ahi, hi * alo, hi * ahi])
                cands = np.where(np.isnan(cands), 0.0, cands)  # 0 * inf: the box has a 0
                lo, hi = nb._pred(cands.min(axis=0)), nb._succ(cands.max(axis=0))
            return lo, hi
        if e.kind == "pow":
            # libm's pow is within one ulp; two ulps outward cover it
            (blo, bhi), k = args[0], e.power
            if k % 2:  # odd powers are increasing
                return nb._pred(nb._pred(blo**k)), nb._succ(nb._succ(bhi**k))
            top = nb._succ(nb._succ(np.maximum(np.abs(blo), np.abs(bhi)) ** k))
            low = nb._pred(nb._pred(np.minimum(np.abs(blo), np.abs(bhi)) ** k))
            low = np.where((blo <= 0) & (bhi >= 0), 0.0, low)
            return np.maximum(low, 0.0), top
        if e.kind == "abs":
            lo, hi = args[0]
            top = np.maximum(np.abs(lo), np.abs(hi))
            low = np.where((lo <= 0) & (hi >= 0), 0.0, np.minimum(np.abs(lo), np.abs(hi)))
            return low, top
        los = np.array([a[0] for a in args])
        his = np.array([a[1] for a in args])
        if e.kind == "min":
            return los.min(axis=0), his.min(axis=0)
        return los.max(axis=0), his.max(axis=0)


# --- float evaluation at points (proposals only, never a verdict) ---------------------------
def point_values(ev: Evaluator, points: F64) -> F64:
    """Float values (K, m) of every linear form at ``points`` (K, n_dims)."""
    rows = ev.rows
    values = points @ rows.dim_coef.T + rows.const_lo
    for j, (net, inputs) in enumerate(zip(ev.nets, ev.inputs, strict=True)):
        if len(rows.uses[j]):
            y = net.forward(points[:, inputs])
            values = values + y @ rows.out_coef[j].T
    return np.asarray(values, np.float64)


def point_truth(ev: Evaluator, points: F64, slack: float = 0.0) -> Bools:
    """Whether the condition (approximately) holds at each point; ``slack`` loosens strict
    and equality atoms so near-boundary points are kept as candidates for exact replay."""
    values = point_values(ev, points)
    return _point_cond(ev, ev.query.formula, values, slack)


def _point_cond(ev: Evaluator, c: Cond, values: F64, slack: float) -> Bools:
    k = values.shape[0]
    if isinstance(c, Truth):
        return np.full(k, c.value)
    if isinstance(c, Atom):
        v = values[:, ev.index[c.lin]]
        if c.op == "<=":
            return v <= slack
        if c.op == "<":
            return v < slack
        return np.abs(v) <= slack
    if isinstance(c, Compare):
        left = _point_num(ev, c.left, values, slack)
        right = _point_num(ev, c.right, values, slack)
        d = left - right
        return d <= slack if c.op == "<=" else d < slack if c.op == "<" else np.abs(d) <= slack
    if isinstance(c, Negation):
        return ~_point_cond(ev, c.arg, values, -slack)
    parts = np.array([_point_cond(ev, a, values, slack) for a in c.args], dtype=bool)
    return np.asarray(parts.all(axis=0) if c.kind == "and" else parts.any(axis=0))


def _point_num(ev: Evaluator, e: Num, values: F64, slack: float) -> F64:
    if isinstance(e, Lin):
        return values[:, ev.index[e]]
    if isinstance(e, Ite):
        return np.where(
            _point_cond(ev, e.cond, values, slack),
            _point_num(ev, e.then, values, slack),
            _point_num(ev, e.other, values, slack),
        )
    args = np.array([_point_num(ev, a, values, slack) for a in e.args], dtype=np.float64)
    if e.kind == "add":
        out = args.sum(axis=0)
    elif e.kind == "mul":
        out = args.prod(axis=0)
    elif e.kind == "pow":
        out = args[0] ** e.power
    elif e.kind == "abs":
        out = np.abs(args[0])
    else:
        out = args.min(axis=0) if e.kind == "min" else args.max(axis=0)
    return np.asarray(out, dtype=np.float64)


# --- gradient steps towards a counterexample (proposals only) ------------------------------
def _score(ev: Evaluator, c: Cond, values: F64) -> tuple[F64, npt.NDArray[np.intp], F64]:
    """A float margin of the condition at each point (positive: it holds), with the linear
    form that decides it there and the sign in which it enters (-1: smaller is better)."""
    k = values.shape[0]
    none = np.full(k, -1, dtype=np.intp)
    if isinstance(c, Truth):
        return np.full(k, np.inf if c.value else -np.inf), none, np.zeros(k)
    if isinstance(c, Atom):
        r = ev.index[c.lin]
        v = values[:, r]
        if c.op == "==":
            return -np.abs(v), np.full(k, r), -np.sign(v)
        return -v, np.full(k, r), -np.ones(k)
    if isinstance(c, Negation):
        score, which, sign = _score(ev, c.arg, values)
        return -score, which, -sign
    if isinstance(c, Compare):  # not linear: no gradient, only its truth
        holds = _point_cond(ev, c, values, 0.0)
        return np.where(holds, np.inf, -np.inf), none, np.zeros(k)
    assert isinstance(c, Junction)
    parts = [_score(ev, a, values) for a in c.args]
    scores = np.array([p[0] for p in parts])
    pick = scores.argmin(axis=0) if c.kind == "and" else scores.argmax(axis=0)
    at = np.arange(k)
    rows = np.array([p[1] for p in parts])[pick, at]
    signs = np.array([p[2] for p in parts])[pick, at]
    return scores[pick, at], rows, signs


def _vjp(net: nb.FloatNet, x: F64, v: F64) -> F64:
    """``v^T dy/dx`` at each point (the network is linear around almost every point)."""
    h = x
    masks = []
    for k, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        h = h @ w.T + b
        if k + 1 < net.depth:
            masks.append(h > 0)
            h = np.maximum(h, 0.0)
    g = v
    for k in range(net.depth - 1, -1, -1):
        g = g @ net.weights[k]
        if k > 0:
            g = g * masks[k - 1]
    return np.asarray(g, np.float64)


def ascend(ev: Evaluator, points: F64, lo: F64, hi: F64, steps: int, integral: Bools) -> F64:
    """Projected gradient steps that raise the condition's margin, inside each point's box
    (``lo``/``hi`` per point); integral dims stay put.  Returns the moved points."""
    x = points.copy()
    rows = ev.rows
    width = hi - lo
    for t in range(steps):
        values = point_values(ev, x)
        _, r, sign = _score(ev, ev.query.formula, values)
        valid = r >= 0
        rr = np.where(valid, r, 0)
        grad = rows.dim_coef[rr].copy()
        for j, (net, inputs) in enumerate(zip(ev.nets, ev.inputs, strict=True)):
            v = rows.out_coef[j][rr]
            if np.any(v):
                grad[:, inputs] += _vjp(net, x[:, inputs], v)  # inputs: distinct dims
        grad = grad * (sign * valid)[:, None]
        step = width * (0.25 / (1 + t))  # a shrinking sign step, FGSM-style
        x = np.clip(x + np.sign(grad) * step, lo, hi)
        x = np.where(integral, points, x)
    return x

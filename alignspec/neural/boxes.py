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


class Evaluator:
    """Bounds and three-valued truth of a query's condition over batches of boxes."""

    def __init__(self, query: NeuralQuery, *, alpha: bool = False, refine: bool = True) -> None:
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
        self.alpha = alpha
        self.refine = refine

    # --- bounds over boxes ----------------------------------------------------------------
    def bounds(self, lo: F64, hi: F64) -> BoxBounds:
        """Sound bounds of every linear form over each box ``[lo_b, hi_b]`` (B, n_dims)."""
        rows = self.rows
        batch, n = lo.shape
        m = len(rows.forms)
        zeros_a, zeros_0 = np.zeros((batch, m, n)), np.zeros((batch, m))
        low = nb.LinearBound("lower", zeros_0, zeros_a, zeros_0, lo, hi)
        up = nb.LinearBound("upper", zeros_0, zeros_a, zeros_0, lo, hi)
        err = np.zeros((batch, m))  # error terms of inexact coefficients, added outward
        unstable = np.zeros(batch, dtype=np.int64)
        layers = []
        vabs = np.maximum(np.abs(lo), np.abs(hi))
        for j, (net, inputs) in enumerate(zip(self.nets, self.inputs, strict=True)):
            sym = nb.symbolic_bounds(net, lo[:, inputs], hi[:, inputs])
            if self.refine:
                sym = refined(net, sym)
            unstable += sym.num_unstable()
            layers.append(sym.bounds)
            used_lo = rows.uses[j][self.need_lo[rows.uses[j]]]
            used_hi = rows.uses[j][self.need_hi[rows.uses[j]]]
            if len(used_lo):
                lb = nb.crown_lower(net, sym, rows.out_coef[j][used_lo], alpha=self.alpha)
                for a_full, a0 in _scatter(lb, used_lo, inputs, batch, m, n):
                    low = low.add_linear(a_full, a0)
            if len(used_hi):
                ub = nb.crown_upper(net, sym, rows.out_coef[j][used_hi], alpha=self.alpha)
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
        return BoxBounds(lo_b, hi_b, influence, unstable, tuple(layers))

    # --- three-valued evaluation ----------------------------------------------------------
    def truth(self, b: BoxBounds) -> tuple[Bools, Bools]:
        """(must, may) of the query's condition on each box."""
        return self._cond(self.query.formula, b)

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

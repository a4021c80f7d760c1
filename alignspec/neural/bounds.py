"""Sound, batched bound propagation for dense ReLU networks in float64 numpy.

This is the bounding layer of a branch-and-bound verifier (ReluVal / Neurify / CROWN style):
given many input boxes at once it computes, for every box,

* interval pre-activation bounds (:func:`interval_bounds`),
* symbolic forward bounds: for every neuron a lower and an upper linear function of the input,
  valid over the box, concretised at every layer and intersected with the interval bounds
  (:func:`symbolic_bounds`),
* backward CROWN / DeepPoly bounds of a linear objective ``C @ y + d`` of the outputs, with the
  linear function of the input they come from and optional alpha-optimisation of the lower
  ReLU slopes (:func:`crown_lower`, :func:`crown_upper`),
* stability masks and split scores for branch and bound.

Semantics
---------
A network is a list of layers ``(W_k, b_k)`` with ReLU after every layer but the last. The
*exact* network has as weights the exact binary rationals denoted by the float64 entries,
widened, if error arrays are given, to every weight in ``[W - W_err, W + W_err]`` and bias in
``[b - b_err, b + b_err]``. A box ``[lo, hi]`` stands for every real input in it. Every bound
returned here holds for every exact network and every real input of the box, evaluated in exact
real arithmetic. Floats are only *proposals*: each step below adds an error term, computed so
that it is itself an upper bound, and rounds outward.

Floating-point model and the rounding argument
----------------------------------------------
Assumed: IEEE 754 binary64, round to nearest, gradual underflow (no flush-to-zero and no
denormals-are-zero; checked at every entry point by :func:`check_fp_environment`), and that
``numpy`` / BLAS evaluate a matrix product entry, an ``einsum`` and a ``sum`` as *some* binary
tree of IEEE additions over IEEE products (fused multiply-add allowed, any order, any
blocking). Nothing here changes the rounding mode. ``u = 2**-53``, ``eta = 2**-1074``,
``gamma_m = m u / (1 - m u)``.

(L1) *Sums of products* (Higham, Accuracy and Stability, (3.5), plus the underflow term). If
     a float ``V^`` is computed by any tree of additions over ``m`` leaves, each leaf a float or
     a float product ``a * b``, and ``V`` is the exact value of the same expression, then
     ``|V^ - V| <= gamma_m * sum|leaf| + m eta``. If all leaves are ``>= 0`` then also
     ``V^ >= (1 - gamma_m) V - m eta``.

(L2) *Error terms are upper bounds* (:func:`_errf`). For ``m <= 2**24``, ``s >= 1`` and any
     real ``M >= 0`` with ``M^ >= (1 - gamma_m) M - 2 m eta`` (true by (L1) when ``M^`` is the
     float value of a tree of at most ``m`` nonnegative leaves whose exact value is ``M``),
     ``errf(M^, m, s) = fl(fl(c_m M^) + fl(tau_m s))`` with ``c_m = 2 (m + 1) u`` and
     ``tau_m = (m + 1) 2**-1000`` satisfies ``errf >= gamma_m M + 2**73 (m + 1) eta s``.
     (Each of the three roundings loses at most a factor ``1 - u`` or an ``eta``; the factor
     2 in ``c_m`` and the ``2**74`` in ``tau_m`` pay for them.)

(L3) *Outward final rounding* (:func:`_upper`, :func:`_lower`). If ``|V^ - V| + X <= gamma_m
     M + 2**72 (m + 1) eta s`` for some ``X >= 0`` and ``M >= sum|leaf|`` (so ``|V^| <= (1 +
     gamma_m) M + 2 m eta``), then ``fl(V^ + errf(M^, m + 2, s)) >= V + X`` and ``fl(V^ -
     errf(M^, m + 2, s)) <= V - X``: the last addition loses at most ``u |V^ + E|``, and
     ``(1 - u) gamma_{m+2} >= gamma_m + u (1 + gamma_m)``. ``X`` is where other errors go, e.g.
     the error of float coefficients of a linear function, concretised over a box.
     :func:`_up_nonneg` is the special case ``V = M``: an upper bound of a nonnegative sum.

(L4) *One step outward* (:func:`_succ`, :func:`_pred`). For finite ``x``, ``d = fl(fl(|x| 2**-52)
     + 2**-1022)`` is at least the gap from ``x`` to the next float, so ``fl(x + d)`` is at
     least the successor of ``x``; hence if ``x = fl(a op b)`` for one IEEE operation, then
     ``_succ(x) >= a op b`` and ``_pred(x) <= a op b``.

(L5) *ReLU relaxations*. For any ``a`` in ``[0, 1]``, ``relu(z) >= a z`` for all real ``z``.
     For ``l < 0 < u`` and *any* float slope ``s >= 0``, the line ``s w + t`` lies above
     ``relu`` on ``[l, u]`` iff ``s l + t >= 0`` and ``s u + t >= u`` (``line - relu`` is concave,
     so its minimum over an interval is at an endpoint). :func:`_upper_intercept` takes ``t >=
     max(-s l, u - s u)`` by (L4), so the relaxation is valid for the slope actually computed
     (e.g. ``fl(u / (u - l))``), by construction. ReLU is monotone, so ``z <= Z(x)`` gives
     ``relu(z) <= relu(Z(x))``, and a line above ``relu`` on the range of ``Z`` bounds it.

How each step uses them
-----------------------
* Interval step: ``U = W+ hu + W- hl + b (+ pert)``, ``2n + 1 (+1)`` leaves, magnitude
  ``|W| max(|hl|,|hu|) + |b| (+ pert)``: (L3) with ``X = 0``.
* Perturbed weights: ``|(W~ - W) h + (b~ - b)| <= E |h| + e =: pert``; ``pert`` is bounded
  above with :func:`_up_nonneg` and enters every sum as one more leaf.
* Symbolic step: the new upper function has float coefficients ``G^ = fl(W+ Q + W- P)`` and the
  exact one ``G``; ``sum_i |G_i - G^_i| |x_i| <= gamma_2n sum_j |W_j| sum_i max(|Q_ji|, |P_ji|)
  |x_i| + 4 n eta sum_i |x_i|`` (L1) is the ``X`` of (L3) for the new constant, with ``M =
  |W| mu + |b| (+ pert)`` and ``mu_j >= sum_i max(|Q_ji|,|P_ji|) |x_i| + max(|q_j|,|p_j|)``
  (kept from the previous layer: ``sigma * M^`` of the concretisation below, as
  ``|fl(sigma G_i)| <= (1 + u) sigma |G_i|``), and ``s >= 1 + sum_i |x_i|``. The first layer
  is exact: coefficients ``W``, constant ``b``.
* Relaxation: multiplying a linear function by a float slope ``0 <= s <= 1`` rounds each
  coefficient once (error ``<= u |s G_i| + eta``) and the new constant ``fl(fl(s c) + t)`` is a
  two-leaf sum; both go into (L3) with ``M = sum_i |G_i| v_i + |c| + t``, ``v >= |x|``.
  Multiplying by 0 or 1 is exact and adds nothing.
* Concretisation over the box: the box is enclosed in ``[mid - rad, mid + rad]`` with any
  float ``mid`` and ``rad >= max(hi - mid, mid - lo)`` rounded up by (L4); the maximum of ``G x
  + c`` there is ``G mid + c + |G| rad``, a sum of ``2 (n0 + 1)`` leaves: (L3).
* CROWN step through ReLU layer ``k`` and affine layer ``k``: keeps ``obj >= Lam . h_k + c``.
  With ``(sigma_j, tau_j)`` the lower relaxation where ``Lam_j >= 0`` and the upper one where
  ``Lam_j < 0`` (L5), ``Lam_j h_j >= Lam_j (sigma_j z_j + tau_j)``; ``Lam'_j = fl(Lam_j
  sigma_j)`` errs by ``<= u |Lam_j| |z_j| + eta |z_j|``; ``Lam'' = fl(Lam' W)`` errs, concretised
  over ``|h_{k-1}|``, by ``<= gamma_n sum_j |Lam_j| (|W| |h_{k-1}|)_j + 2 n eta sum|h_{k-1}|``;
  the new constant ``c + sum_j min(Lam_j, 0) t_j + Lam' . b - |Lam'| . pert`` has ``3 n + 1``
  leaves. All of it is (L3) with ``M = |c| + sum_j |Lam_j| w1_j + sum_j |Lam'_j| w2_j``,
  ``w1_j >= |z_j|max + t_j`` on unstable neurons (0 on stable ones: slopes 0 and 1 are exact)
  and ``w2_j >= (|W| habs + |b|)_j + pert_j`` (``|Lam'_j| <= |Lam_j|`` as ``|sigma_j| <= 1``),
  and ``s >= 1 + sum |z|max + sum |h_{k-1}|max``.
* Overflow. The lemmas assume no overflow; a float sum whose tree overflowed is infinite or
  NaN, never finite, so a *finite* value and magnitude are covered by them. Interval bounds
  turn NaN into the outward infinity, entry by entry (interval arithmetic with infinities
  stays sound). If any symbolic quantity of a box (a concretised bound or a magnitude) is not
  finite, the box falls back to its interval bounds from that layer on
  (``symbolic_overflow``), with ``0 x + U`` / ``0 x + L`` as its output functions; a CROWN
  row whose coefficients or constant overflow falls back to the interval bound of ``C y + d``
  from the output bounds. The only operations that can turn an infinity into a finite number
  (a division, a minimum, a selection) are the relaxation slopes, which (L5) makes valid for
  any value, and selections on boxes that are then discarded. (A BLAS that skips products
  with an exact zero only drops terms that are exactly zero.)

The relaxations
---------------
Symbolic forward pass (Neurify): the upper function of an unstable neuron is relaxed on the
range of the upper function itself, ``[max(l_U, l), u_U]`` (by monotonicity, (L5)), or by the
triangle on ``[l, u]`` of the neuron, whichever line is lower at the middle of that range; the
lower function gets slope ``a`` in ``[0, 1]`` chosen by ``lower_slope`` ("adaptive": 1 if
``u_L >= -l_L`` else 0, measured tightest on ACAS Xu; "parallel": Neurify's ``u_L / (u_L -
l_L)``; "zero"). CROWN uses the triangle on ``[l, u]`` (the intermediate bounds of the forward
pass) for the upper relaxation and the same choices for the lower slope, optionally improved by
projected Adam steps on per-objective-row slopes (alpha-CROWN). Any slope in ``[0, 1]`` is
sound, so the optimisation needs no rigour; the final bound is recomputed rigorously.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
LowerSlope = Literal["adaptive", "parallel", "zero"]

__all__ = [
    "FloatNet",
    "LinearBound",
    "SymbolicBounds",
    "check_fp_environment",
    "concretize",
    "crown_lower",
    "crown_upper",
    "interval_bounds",
    "num_unstable",
    "smear_scores",
    "stability",
    "symbolic_bounds",
]

_U = 2.0**-53
_TAU = 2.0**-1000  # absolute unit of the error terms: 2**74 eta
_MAX_TERMS = 2**24  # (L2) needs m <= 2**24 leaves in any sum
_STEP_REL = 2.0**-52
_STEP_ABS = 2.0**-1022


# --------------------------------------------------------------------------------------------
# rounding primitives (see the module docstring for the lemmas they implement)


def _errf(mag: F64, m: int, scale: F64 | float = 1.0) -> F64:
    """(L2): an upper bound of ``gamma_m M + 2**73 (m+1) eta scale`` given ``mag`` = ``M^``."""
    return np.asarray((2.0 * (m + 1) * _U) * mag + ((m + 1) * _TAU) * scale, dtype=np.float64)


def _upper(val: F64, mag: F64, m: int, scale: F64 | float = 1.0) -> F64:
    """(L3): a float ``>= V + X`` from ``V^`` (``m`` leaves) and the magnitude ``M^``."""
    return np.asarray(val + _errf(mag, m + 2, scale), dtype=np.float64)


def _lower(val: F64, mag: F64, m: int, scale: F64 | float = 1.0) -> F64:
    """(L3): a float ``<= V - X`` from ``V^`` (``m`` leaves) and the magnitude ``M^``."""
    return np.asarray(val - _errf(mag, m + 2, scale), dtype=np.float64)


def _up_nonneg(val: F64, m: int, scale: F64 | float = 1.0) -> F64:
    """(L3) with ``V = M``: ``>=`` the exact value of a float sum of ``m`` nonnegative leaves
    (plus ``X``, if ``X <= gamma_m M + 2**72 (m + 1) eta scale``)."""
    return _upper(val, val, m, scale)


def _succ(x: F64) -> F64:
    """(L4): ``>=`` the exact result of the single IEEE operation that produced ``x``."""
    return np.asarray(x + (np.abs(x) * _STEP_REL + _STEP_ABS), dtype=np.float64)


def _pred(x: F64) -> F64:
    """(L4): ``<=`` the exact result of the single IEEE operation that produced ``x``."""
    return np.asarray(x - (np.abs(x) * _STEP_REL + _STEP_ABS), dtype=np.float64)


def _succ_nonneg(x: F64) -> F64:
    """(L4) for ``x >= 0``: ``fl(x (1 + 2**-52))`` is at least the successor of ``x``
    (``x 2**-52`` is at least the gap above a normal ``x``), and ``+ 2**-1022`` covers
    subnormal ``x``."""
    return np.asarray(x * (1.0 + _STEP_REL) + _STEP_ABS, dtype=np.float64)


def _pred_nonneg(x: F64) -> F64:
    """(L4) for ``x >= 0``: at most the predecessor of ``x`` (the gap below a normal ``x`` is
    at most ``x 2**-52``)."""
    return np.asarray(x * (1.0 - _STEP_REL) - _STEP_ABS, dtype=np.float64)


def _upper_intercept(s: F64, lo: F64, hi: F64) -> F64:
    """(L5): for ``0 <= s <= 1`` and ``lo < 0 < hi``, ``t >= max(-s lo, hi - s hi)`` exactly,
    so ``s w + t >= relu(w)`` on ``[lo, hi]``."""
    t1 = _succ_nonneg(s * -lo)  # one rounding of s (-lo) >= 0
    # _pred(fl(s hi)) <= s hi <= hi, so hi - that >= 0 and one rounding: >= hi - s hi
    t2 = _succ_nonneg(hi - _pred_nonneg(s * hi))
    return np.maximum(t1, t2)


def check_fp_environment() -> None:
    """Raise ``RuntimeError`` unless numpy float64 arithmetic rounds to nearest with gradual
    underflow (the rounding argument of this module assumes both)."""
    one = np.ones(2)
    tiny = np.full(2, 2.0**-1022)
    sub = np.full(2, 2.0**-1074)
    ok = (
        bool(np.all(one + 3 * 2.0**-54 == 1.0 + 2.0**-52))  # not toward -inf / zero
        and bool(np.all(one + 2.0**-54 == 1.0))  # not toward +inf
        and bool(np.all(-one - 3 * 2.0**-54 == -1.0 - 2.0**-52))
        and bool(np.all(tiny * 0.5 == 2.0**-1023))  # no flush to zero
        and bool(np.all(sub * 2.0 == 2.0**-1073))  # no denormals-are-zero
    )
    if not ok:
        raise RuntimeError(
            "float64 arithmetic is not IEEE round-to-nearest with gradual underflow "
            "(a library may have set flush-to-zero); sound bounds cannot be computed"
        )


# --------------------------------------------------------------------------------------------
# the network


def _as_f64(a: object, name: str, ndim: int, finite: bool = True) -> F64:
    """A float64 copy of ``a``, refusing conversions that would round."""
    arr = np.asarray(a)
    if arr.dtype.kind == "f" and arr.dtype.itemsize <= 8:
        out = np.ascontiguousarray(arr, dtype=np.float64)
    elif arr.dtype.kind in "iub":
        out = np.ascontiguousarray(arr, dtype=np.float64)
        if not np.array_equal(out.astype(arr.dtype), arr) or (
            arr.dtype.kind in "iu" and np.any(np.abs(out) >= 2.0**53)
        ):
            raise ValueError(f"{name}: integers of magnitude 2**53 or more are refused")
    else:
        raise TypeError(
            f"{name}: expected a float array, got dtype {arr.dtype}; round exact values to "
            "float64 yourself and pass the rounding error as an error array"
        )
    if out.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {out.shape}")
    if finite and not np.all(np.isfinite(out)):
        raise ValueError(f"{name}: entries must be finite")
    if np.any(np.isnan(out)):
        raise ValueError(f"{name}: entries must not be NaN")
    return out


class FloatNet:
    """A dense ReLU network with float64 weights, prepared for bound propagation.

    ``layers`` is ``[(W_k (n_k, n_{k-1}), b_k (n_k,)), ...]`` with ReLU after every layer but
    the last. ``errors``, if given, is ``[(W_err_k, b_err_k) or None, ...]`` (nonnegative, same
    shapes): the exact weights are anywhere in ``[W - W_err, W + W_err]``.
    """

    def __init__(
        self,
        layers: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
        errors: Sequence[tuple[npt.ArrayLike, npt.ArrayLike] | None] | None = None,
    ) -> None:
        if not layers:
            raise ValueError("a network needs at least one layer")
        if errors is not None and len(errors) != len(layers):
            raise ValueError("errors must have one entry (or None) per layer")
        ws: list[F64] = []
        bs: list[F64] = []
        wes: list[F64 | None] = []
        bes: list[F64 | None] = []
        for k, (w_in, b_in) in enumerate(layers):
            w = _as_f64(w_in, f"layer {k} weights", 2)
            b = _as_f64(b_in, f"layer {k} bias", 1)
            if b.shape[0] != w.shape[0] or (ws and w.shape[1] != ws[-1].shape[0]):
                raise ValueError(f"layer {k}: shapes {w.shape} and {b.shape} do not chain")
            if 4 * max(w.shape) + 8 > _MAX_TERMS:
                raise ValueError(f"layer {k}: too wide for the rounding analysis")
            we: F64 | None = None
            be: F64 | None = None
            if errors is not None and errors[k] is not None:
                pair = errors[k]
                assert pair is not None
                we = _as_f64(pair[0], f"layer {k} weight errors", 2)
                be = _as_f64(pair[1], f"layer {k} bias errors", 1)
                if we.shape != w.shape or be.shape != b.shape:
                    raise ValueError(f"layer {k}: error arrays must match the weight shapes")
                if np.any(we < 0) or np.any(be < 0):
                    raise ValueError(f"layer {k}: error arrays must be nonnegative")
                if not (np.any(we > 0) or np.any(be > 0)):
                    we = be = None
            ws.append(w)
            bs.append(b)
            wes.append(we)
            bes.append(be)
        self.weights: tuple[F64, ...] = tuple(ws)
        self.biases: tuple[F64, ...] = tuple(bs)
        self.weight_errors: tuple[F64 | None, ...] = tuple(wes)
        self.bias_errors: tuple[F64 | None, ...] = tuple(bes)
        self.widths: tuple[int, ...] = (ws[0].shape[1], *(w.shape[0] for w in ws))
        self.wpos: tuple[F64, ...] = tuple(np.maximum(w, 0.0) for w in ws)
        self.wneg: tuple[F64, ...] = tuple(np.minimum(w, 0.0) for w in ws)
        self.wabs: tuple[F64, ...] = tuple(np.abs(w) for w in ws)
        self.babs: tuple[F64, ...] = tuple(np.abs(b) for b in bs)
        # [[W+, W-], [W-, W+]] maps (upper; lower) to (upper; lower) in one product
        self.bias2: tuple[F64, ...] = tuple(np.concatenate([b, b]) for b in bs)
        self.wbig: tuple[F64, ...] = tuple(
            np.ascontiguousarray(np.block([[p, q], [q, p]]))
            for p, q in zip(self.wpos, self.wneg, strict=True)
        )

    @classmethod
    def from_onnx(cls, path: str | os.PathLike[str]) -> FloatNet:
        """Load a Gemm/MatMul+Add/Relu chain with :func:`alignspec.policy.onnx_import`."""
        from alignspec.policy.onnx_import import layers_from_onnx

        return cls(layers_from_onnx(Path(path)))

    @property
    def depth(self) -> int:
        """The number of affine layers."""
        return len(self.weights)

    @property
    def n_inputs(self) -> int:
        return self.widths[0]

    @property
    def n_outputs(self) -> int:
        return self.widths[-1]

    @property
    def has_errors(self) -> bool:
        """Whether some layer carries weight or bias error arrays."""
        return any(e is not None for e in self.weight_errors)

    def forward(self, x: npt.ArrayLike) -> F64:
        """The plain float forward pass on inputs ``x`` of shape (B, n0): NOT sound."""
        h = np.atleast_2d(np.asarray(x, dtype=np.float64))
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w.T + b
            if k + 1 < self.depth:
                h = np.maximum(h, 0.0)
        return np.asarray(h, dtype=np.float64)

    def _pert(self, k: int, habs: F64) -> F64 | None:
        """``>= E_k |h| + e_k`` for ``|h| <= habs`` ((n_{k-1}, B) layout), or None."""
        we, be = self.weight_errors[k], self.bias_errors[k]
        if we is None or be is None:
            return None
        return _up_nonneg(we @ habs + be[:, None], habs.shape[0] + 1)


# --------------------------------------------------------------------------------------------
# boxes


def _boxes(net: FloatNet, lo: npt.ArrayLike, hi: npt.ArrayLike) -> tuple[F64, F64]:
    lo_a = _as_f64(np.atleast_2d(np.asarray(lo)), "lo", 2)
    hi_a = _as_f64(np.atleast_2d(np.asarray(hi)), "hi", 2)
    if lo_a.shape != hi_a.shape or lo_a.shape[1] != net.n_inputs:
        raise ValueError(
            f"lo and hi must both have shape (B, {net.n_inputs}); got {lo_a.shape}, {hi_a.shape}"
        )
    if np.any(lo_a > hi_a):
        raise ValueError("every box needs lo <= hi")
    return lo_a, hi_a


@dataclass(frozen=True)
class _Enclosure:
    """``[lo, hi]`` enclosed in ``[mid - rad, mid + rad]``, in (n0, B) layout."""

    mid: F64
    rad: F64  # >= max(hi - mid, mid - lo) exactly
    xabs: F64  # max(|lo|, |hi|) (exact)
    vabs: F64  # >= |mid| + rad >= |x| exactly
    scale: F64  # (B,) >= 1 + sum_i vabs_i
    mid1: F64  # (n0 + 1, B): mid with a row of ones (for the constant)
    rad0: F64  # rad with a row of zeros
    vabs1: F64  # vabs with a row of ones

    @staticmethod
    def of(lo: F64, hi: F64) -> _Enclosure:
        lo_t, hi_t = np.ascontiguousarray(lo.T), np.ascontiguousarray(hi.T)
        mid = 0.5 * lo_t + 0.5 * hi_t
        rad = np.maximum(_succ(hi_t - mid), _succ(mid - lo_t))
        vabs = _succ(np.abs(mid) + rad)
        scale = 2.0 * (1.0 + vabs.sum(axis=0))  # sum rounds down by < a factor 2
        xabs = np.maximum(np.abs(lo_t), np.abs(hi_t))
        ones, zeros = np.ones((1, mid.shape[1])), np.zeros((1, mid.shape[1]))
        return _Enclosure(
            mid,
            rad,
            xabs,
            vabs,
            np.asarray(scale, dtype=np.float64),
            np.concatenate([mid, ones]),
            np.concatenate([rad, zeros]),
            np.concatenate([vabs, ones]),
        )


def _nonfinite_boxes(*arrays: F64) -> Bools:
    """Per-box (last axis) flag: some entry of some array is not finite (or a sum overflows,
    which only flags more)."""
    total = sum(a.reshape(-1, a.shape[-1]).sum(axis=0) for a in arrays)
    return np.asarray(~np.isfinite(total), dtype=np.bool_)


def _bt(a: F64) -> F64:
    """(n, B) -> contiguous (B, n)."""
    return np.ascontiguousarray(a.T)


def _outward(low: F64, up: F64) -> tuple[F64, F64]:
    """NaN lower bounds become -inf and NaN upper bounds +inf."""
    return (
        np.asarray(np.where(np.isnan(low), -np.inf, low), np.float64),
        np.asarray(np.where(np.isnan(up), np.inf, up), np.float64),
    )


# --------------------------------------------------------------------------------------------
# interval bounds


def _interval_step(
    net: FloatNet, k: int, hl: F64, hu: F64, habs: F64, pert: F64 | None
) -> tuple[F64, F64, F64]:
    """Sound (L, U) of layer k from ``hl <= h <= hu``, ``|h| <= habs`` ((n, B) layout), and
    the float ``M^`` of ``|W| habs + |b|``."""
    n = hl.shape[0]
    both = net.wbig[k] @ np.concatenate([hu, hl]) + net.bias2[k][:, None]
    mag = net.wabs[k] @ habs + net.babs[k][:, None]
    nk = net.widths[k + 1]
    vu, vl = both[:nk], both[nk:]
    leaves = 2 * n + 1
    if pert is not None:
        vu, vl, mag_p, leaves = vu + pert, vl - pert, mag + pert, leaves + 1
    else:
        mag_p = mag
    err = _errf(mag_p, leaves + 2)  # (L3), both directions
    low, up = _outward(vl - err, vu + err)
    return low, up, np.asarray(mag, np.float64)


def interval_bounds(net: FloatNet, lo: npt.ArrayLike, hi: npt.ArrayLike) -> list[tuple[F64, F64]]:
    """Sound interval pre-activation bounds ``[(L_k, U_k), ...]``, each of shape (B, n_k)."""
    check_fp_environment()
    lo_a, hi_a = _boxes(net, lo, hi)
    hl, hu = np.ascontiguousarray(lo_a.T), np.ascontiguousarray(hi_a.T)
    habs = np.maximum(np.abs(hl), np.abs(hu))
    out: list[tuple[F64, F64]] = []
    with np.errstate(all="ignore"):
        for k in range(net.depth):
            low, up, _ = _interval_step(net, k, hl, hu, habs, net._pert(k, habs))
            out.append((_bt(low), _bt(up)))
            hl, hu = np.maximum(low, 0.0), np.maximum(up, 0.0)
            habs = hu
    return out


# --------------------------------------------------------------------------------------------
# symbolic forward bounds


@dataclass(frozen=True, eq=False)
class SymbolicBounds:
    """The result of :func:`symbolic_bounds` for B boxes of ``net``.

    ``bounds[k] = (L_k, U_k)``, each (B, n_k): sound bounds of the pre-activations of layer k
    (the last entry bounds the outputs). ``out_lower_coef @ x + out_lower_const <= y(x) <=
    out_upper_coef @ x + out_upper_const`` for every x in the box (coefficients (B, n_out, n0),
    constants (B, n_out)). ``smear`` (B, n0) scores the input dimensions for splitting (sum over
    unstable neurons of |coefficient| times the box width, if asked for). ``symbolic_overflow``
    (B,) marks boxes whose symbolic functions overflowed: from that layer on their bounds are
    the interval bounds, and their output functions are the constants ``L`` and ``U``.
    """

    net: FloatNet
    lo: F64
    hi: F64
    bounds: tuple[tuple[F64, F64], ...]
    out_lower_coef: F64
    out_lower_const: F64
    out_upper_coef: F64
    out_upper_const: F64
    smear: F64
    symbolic_overflow: Bools
    # for CROWN, all (B, n_k) or (B,): mag[k] >= |W_k| habs_{k-1} + |b_k|, pert[k] >=
    # E_k habs_{k-1} + e_k (None without errors), hsum[k] >= 1 + sum habs_{k-1}, where
    # habs_{k-1} bounds |input of layer k|: max(|lo|, |hi|) for k = 0, else relu(U_{k-1})
    mag: tuple[F64, ...]
    pert: tuple[F64 | None, ...]
    hsum: tuple[F64, ...]
    _relu_cache: dict[str, list[_ReluData]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def batch(self) -> int:
        """The number of boxes B."""
        return int(self.lo.shape[0])

    def stability(self) -> tuple[list[Bools], list[Bools], list[Bools]]:
        """(active, inactive, unstable) masks (B, n_k) of the hidden layers."""
        return stability(self.bounds)

    def unstable_masks(self) -> list[Bools]:
        """Per hidden layer, (B, n_k): the neurons with ``L < 0 < U``."""
        return stability(self.bounds)[2]

    def num_unstable(self) -> npt.NDArray[np.int64]:
        """(B,) the number of unstable hidden neurons of each box."""
        return num_unstable(self.bounds)


def stability(
    bounds: Sequence[tuple[F64, F64]],
) -> tuple[list[Bools], list[Bools], list[Bools]]:
    """(active ``L >= 0``, inactive ``U <= 0``, unstable) masks of the hidden layers of a
    bounds list (as returned by :func:`interval_bounds` or ``SymbolicBounds.bounds``)."""
    act, ina, uns = [], [], []
    for low, up in bounds[:-1]:
        a, i = low >= 0, up <= 0
        act.append(a)
        ina.append(i & ~a)
        uns.append(~(a | i))
    return act, ina, uns


def num_unstable(bounds: Sequence[tuple[F64, F64]]) -> npt.NDArray[np.int64]:
    """(B,) number of unstable hidden neurons per box."""
    masks = stability(bounds)[2]
    if not masks:
        return np.zeros(bounds[0][0].shape[0], dtype=np.int64)
    return np.asarray(sum(m.sum(axis=1) for m in masks), dtype=np.int64)


def _concretize_t(z: F64, enc: _Enclosure, n0: int) -> tuple[F64, F64, F64, F64]:
    """Sound (min, max) over the box of the linear functions ``z`` (..., n0 + 1, B) (last
    coefficient row = constant), plus ``|z|`` and the float ``M^ = |z| . (vabs, 1)``."""
    sub = "...ib,ib->...b"
    center = np.einsum(sub, z, enc.mid1)
    zabs = np.abs(z)
    spread = np.einsum(sub, zabs, enc.rad0)
    mag = np.einsum(sub, zabs, enc.vabs1)
    err = _errf(mag, 2 * (n0 + 1) + 2)  # (L3) with 2 (n0 + 1) leaves, both directions
    return center - spread - err, center + spread + err, zabs, mag


def symbolic_bounds(
    net: FloatNet,
    lo: npt.ArrayLike,
    hi: npt.ArrayLike,
    *,
    lower_slope: LowerSlope = "adaptive",
    with_smear: bool = False,
) -> SymbolicBounds:
    """Symbolic-interval forward bounds (ReluVal / Neurify) of every layer over each box.

    ``lo``, ``hi``: (B, n0) boxes. Each neuron gets a lower and an upper linear function of
    the input, concretised at every layer and intersected with interval bounds; see the
    module docstring for the relaxations and the rounding argument. ``with_smear`` also
    fills ``smear`` (otherwise zeros), at about 5% extra cost.
    """
    check_fp_environment()
    lo_a, hi_a = _boxes(net, lo, hi)
    nb, n0 = lo_a.shape
    kk = n0 + 1
    enc = _Enclosure.of(lo_a, hi_a)
    width = np.asarray(hi_a - lo_a, dtype=np.float64)
    bounds: list[tuple[F64, F64]] = []
    mags: list[F64] = []
    perts: list[F64 | None] = []
    hsums: list[F64] = []
    smear = np.zeros((n0, nb))
    bad = np.zeros(nb, dtype=bool)
    hl, hu = np.ascontiguousarray(lo_a.T), np.ascontiguousarray(hi_a.T)
    habs = enc.xabs
    state: F64 = np.zeros(0)
    mu: F64 = np.zeros(0)
    with np.errstate(all="ignore"):
        for k in range(net.depth):
            nk, n = net.widths[k + 1], net.widths[k]
            pert = net._pert(k, habs)
            # ---- interval bounds of layer k
            l_int, u_int, mag_raw = _interval_step(net, k, hl, hu, habs, pert)
            mags.append(_bt(_up_nonneg(mag_raw, n + 1)))
            perts.append(None if pert is None else _bt(pert))
            hsums.append(np.asarray(2.0 * (1.0 + habs.sum(axis=0)), dtype=np.float64))
            # ---- symbolic functions z (2, nk, n0 + 1, B): [0] upper, [1] lower
            inplace = True
            if k == 0 and pert is None:
                # Z_U = Z_L = W x + b exactly: the interval bounds bound its range, and
                # M^ = |W| vabs + |b| is the magnitude the concretisation would compute
                wb = np.concatenate([net.weights[0], net.biases[0][:, None]], axis=1)
                z = np.broadcast_to(wb[None, :, :, None], (2, nk, kk, nb))
                inplace = False
                fmin, fmax = np.stack([l_int, l_int]), np.stack([u_int, u_int])
                mag_1 = net.wabs[0] @ enc.vabs + net.babs[0][:, None]
                mag_f = np.stack([mag_1, mag_1])
                zabs = np.abs(z) if with_smear else z
            elif k == 0:
                assert pert is not None
                z = np.empty((2, nk, kk, nb))
                z[:, :, :n0, :] = net.weights[0][None, :, :, None]
                b = net.biases[0][:, None]
                mag_b = net.babs[0][:, None] + pert
                z[0, :, n0, :] = _upper(b + pert, mag_b, 2)  # constants b +- pert: two leaves
                z[1, :, n0, :] = _lower(b - pert, mag_b, 2)
                fmin, fmax, zabs, mag_f = _concretize_t(z, enc, n0)
            else:
                z = (net.wbig[k] @ state.reshape(2 * n, kk * nb)).reshape(2, nk, kk, nb)
                z[:, :, n0, :] += net.biases[k][None, :, None]
                mag_c = net.wabs[k] @ mu + net.babs[k][:, None]
                leaves = 2 * n + 1
                cu, cl = z[0, :, n0, :], z[1, :, n0, :]
                if pert is not None:
                    cu, cl, mag_c, leaves = cu + pert, cl - pert, mag_c + pert, leaves + 1
                err = _errf(mag_c, leaves + 2, enc.scale)  # (L3), both directions
                z[0, :, n0, :] = cu + err
                z[1, :, n0, :] = cl - err
                fmin, fmax, zabs, mag_f = _concretize_t(z, enc, n0)
            bad = bad | _nonfinite_boxes(fmin, fmax, mag_f)
            low, up = np.maximum(l_int, fmin[1]), np.minimum(u_int, fmax[0])
            if bad.any():
                low, up = np.where(bad, l_int, low), np.where(bad, u_int, up)
            bounds.append((low, up))
            if k + 1 == net.depth:
                break
            # ---- ReLU relaxation
            if with_smear:
                uns = ~((low >= 0) | (up <= 0))
                smear += np.einsum("snib,nb->ib", zabs[:, :, :n0, :], uns.astype(np.float64))
            state, mu = _relax(z, low, up, fmin, fmax, mag_f, enc, n0, lower_slope, inplace)
            hl, hu = np.maximum(low, 0.0), np.maximum(up, 0.0)
            habs = hu
    bounds_user = tuple((_bt(low), _bt(up)) for low, up in bounds)
    coef = np.where(bad[None, None, None, :], 0.0, z[:, :, :n0, :]).transpose(0, 3, 1, 2)
    const_u = _bt(np.where(bad, bounds[-1][1], z[0, :, n0, :]))
    const_l = _bt(np.where(bad, bounds[-1][0], z[1, :, n0, :]))
    return SymbolicBounds(
        net=net,
        lo=lo_a,
        hi=hi_a,
        bounds=bounds_user,
        out_lower_coef=np.ascontiguousarray(coef[1]),
        out_lower_const=const_l,
        out_upper_coef=np.ascontiguousarray(coef[0]),
        out_upper_const=const_u,
        smear=np.asarray(smear.T * width, dtype=np.float64),
        symbolic_overflow=bad,
        mag=tuple(mags),
        pert=tuple(perts),
        hsum=tuple(hsums),
    )


def _lower_slopes(kind: LowerSlope, low: F64, up: F64) -> F64:
    """A slope in [0, 1] for ``relu(z) >= a z`` of a neuron with range ``[low, up]``."""
    if kind == "adaptive":
        return np.asarray(up >= -low, dtype=np.float64)
    if kind == "parallel":
        a = up / (up - low)
        return np.asarray(np.where(np.isfinite(a), np.clip(a, 0.0, 1.0), 0.0), np.float64)
    if kind == "zero":
        return np.zeros_like(low)
    raise ValueError(f"unknown lower_slope {kind!r}")


def _relax(
    z: F64,
    low: F64,
    up: F64,
    fmin: F64,
    fmax: F64,
    mag_f: F64,
    enc: _Enclosure,
    n0: int,
    lower_slope: LowerSlope,
    inplace: bool,
) -> tuple[F64, F64]:
    """Post-ReLU (upper, lower) linear functions of a layer (in place of ``z``, (2, nk, n0 +
    1, B), if ``inplace``) and their ``mu`` magnitudes ((nk, B)). Slopes are computed on
    the unstable neurons only (gathered), then scattered back."""
    active = low >= 0
    inactive = (up <= 0) & ~active
    sig_u = np.where(inactive, 0.0, 1.0)  # stable: exact 1 (active) or 0 (inactive)
    sig_l = np.where(active, 1.0, 0.0)
    t_u = np.zeros_like(low)
    e_u = np.zeros_like(low)
    e_l = np.zeros_like(low)
    kk = n0 + 1
    iu = np.nonzero(~(active | inactive))
    if iu[0].size:
        lo_g, up_g = low[iu], up[iu]
        scale_g = enc.scale[iu[1]]
        # upper function: relu(z) <= relu(Z_U(x)) with Z_U(x) in [la, uu]   (L5)
        uu = fmax[0][iu]
        la = np.maximum(fmin[0][iu], lo_g)
        relax_u = la < 0  # then uu >= up > 0; otherwise relu(Z_U) = Z_U on its range
        s_a = np.where(relax_u, uu / (uu - la), 0.0)
        t_a = _upper_intercept(s_a, la, uu)
        s_b = np.where(relax_u, up_g / (up_g - lo_g), 0.0)  # triangle on [low, up]
        t_b = _upper_intercept(s_b, lo_g, up_g)
        w_mid = 0.5 * la + 0.5 * uu
        use_b = s_b * w_mid + t_b < s_a * w_mid + t_a  # the lower line mid-range
        sig_u[iu] = np.where(relax_u, np.where(use_b, s_b, s_a), 1.0)
        t_g = np.where(relax_u, np.where(use_b, t_b, t_a), 0.0)
        t_u[iu] = t_g
        # new constant fl(fl(s c) + t) and the coefficient rounding: (L3), M = mag_f + t
        e_u[iu] = np.where(relax_u, _errf(mag_f[0][iu] + t_g, kk + 3, scale_g), 0.0)
        # lower function: relu(z) >= relu(Z_L(x)) >= a Z_L(x), any a in [0, 1]   (L5)
        ll, ul = fmin[1][iu], fmax[1][iu]
        a = np.where(ul > 0, _lower_slopes(lower_slope, ll, ul), 0.0)
        sig_l[iu] = a
        frac = (a != 0.0) & (a != 1.0)
        e_l[iu] = np.where(frac, _errf(mag_f[1][iu], kk + 3, scale_g), 0.0)
    sig = np.stack([sig_u, sig_l])[:, :, None, :]
    state = np.multiply(z, sig, out=z) if inplace else np.asarray(z * sig, np.float64)
    state[0, :, n0, :] = (state[0, :, n0, :] + t_u) + e_u  # zeros where nothing was relaxed
    state[1, :, n0, :] = state[1, :, n0, :] - e_l
    # mu >= sum_i max(|Q_i|, |P_i|) |x_i| + max(|q|, |p|), as |Q_i| = |fl(sig_u Z_U,i)| <=
    # (1 + u) sig_u |Z_U,i| + eta and |x_i| <= vabs_i; the two extra roundings of sig * M^
    # and the factor 1 + u are paid by two more leaves, the eta sum_i |x_i| by the scale
    mu_hat = np.maximum(sig_u * mag_f[0], sig_l * mag_f[1]) + np.maximum(
        np.abs(state[0, :, n0, :]), np.abs(state[1, :, n0, :])
    )
    mu = _up_nonneg(mu_hat, kk + 3, enc.scale)
    return state, mu


# --------------------------------------------------------------------------------------------
# linear functions of the input over boxes


def _objective(c: npt.ArrayLike, d: npt.ArrayLike | None, nb: int, n_out: int) -> tuple[F64, F64]:
    """``C`` as (B, m, n_out) and ``d`` as (B, m), both exact float arrays."""
    c_arr = _as_f64(c, "C", np.ndim(c))
    if c_arr.ndim == 2:
        c_arr = np.broadcast_to(c_arr, (nb, *c_arr.shape))
    if c_arr.ndim != 3 or c_arr.shape[0] != nb or c_arr.shape[2] != n_out:
        raise ValueError(f"C must have shape (m, {n_out}) or ({nb}, m, {n_out}); got {c_arr.shape}")
    m = c_arr.shape[1]
    if d is None:
        d_arr = np.zeros((nb, m))
    else:
        d_arr = _as_f64(d, "d", np.ndim(d))
        d_arr = np.broadcast_to(d_arr, (nb, m)) if d_arr.ndim == 1 else d_arr
        if d_arr.shape != (nb, m):
            raise ValueError(f"d must have shape ({m},) or ({nb}, {m}); got {d_arr.shape}")
    return np.asarray(c_arr, np.float64), np.asarray(d_arr, np.float64)


def _concretize_rows(a: F64, a0: F64, lo: F64, hi: F64, sense: Literal["lower", "upper"]) -> F64:
    """Sound min (``lower``) or max (``upper``) over each box of ``a x + a0``; ``a`` (B, m, n0),
    ``a0`` (B, m), boxes (B, n0). (L3) with ``V = a mid + a0 -+ |a| rad``, ``2 (n0 + 1)``
    leaves and ``M = |a| vabs + |a0|``."""
    enc = _Enclosure.of(lo, hi)
    mid, rad, vabs = _bt(enc.mid), _bt(enc.rad), _bt(enc.vabs)
    sub = "bmi,bi->bm"
    center = np.einsum(sub, a, mid) + a0
    aabs = np.abs(a)
    spread = np.einsum(sub, aabs, rad)
    mag = np.einsum(sub, aabs, vabs) + np.abs(a0)
    leaves = 2 * (a.shape[2] + 1)
    if sense == "lower":
        out = _lower(center - spread, mag, leaves)
        return np.asarray(np.where(np.isfinite(out), out, -np.inf), np.float64)
    out = _upper(center + spread, mag, leaves)
    return np.asarray(np.where(np.isfinite(out), out, np.inf), np.float64)


def concretize(
    a: npt.ArrayLike,
    a0: npt.ArrayLike,
    lo: npt.ArrayLike,
    hi: npt.ArrayLike,
    sense: Literal["lower", "upper"] = "lower",
) -> F64:
    """Sound ``min`` (or ``max``) over each box ``[lo_b, hi_b]`` of ``a_b x + a0_b``.

    ``a`` (B, m, n0), ``a0`` (B, m), ``lo``/``hi`` (B, n0), all float64 taken as exact.
    Returns (B, m); a non-finite result becomes ``-inf`` (``+inf``)."""
    check_fp_environment()
    lo_a = _as_f64(np.atleast_2d(np.asarray(lo)), "lo", 2)
    hi_a = _as_f64(np.atleast_2d(np.asarray(hi)), "hi", 2)
    a_arr = _as_f64(a, "a", 3, finite=False)
    a0_arr = _as_f64(a0, "a0", 2, finite=False)
    with np.errstate(all="ignore"):
        return _concretize_rows(a_arr, a0_arr, lo_a, hi_a, sense)


@dataclass(frozen=True, eq=False)
class LinearBound:
    """A sound linear bound of an objective ``C y + d`` of the outputs over B boxes.

    ``sense == "lower"``: ``C y(x) + d >= A x + a0 >= bound`` for every x in box b (row-wise,
    shapes ``bound`` (B, m), ``A`` (B, m, n0), ``a0`` (B, m)); ``"upper"``: the same with
    ``<=``. Rows whose back-substitution overflowed fall back to ``A = 0`` and ``a0 = bound
    =`` the interval bound of ``C y + d`` (possibly infinite).
    """

    sense: Literal["lower", "upper"]
    bound: F64
    A: F64
    a0: F64
    lo: F64
    hi: F64

    def add_linear(self, g: npt.ArrayLike, g0: npt.ArrayLike | None = None) -> LinearBound:
        """The bound of ``C y + d + G x + g0`` (``G`` (m, n0) or (B, m, n0), ``g0`` (m,) or
        (B, m), exact floats): ``A' = fl(A + G)``, and ``a0'`` absorbs, by (L3), the rounding
        of ``A + G`` over the box and of ``a0 + g0``."""
        check_fp_environment()
        nb, m, n0 = self.A.shape
        g_arr = _as_f64(g, "G", np.ndim(g))
        g_arr = np.broadcast_to(g_arr, (nb, m, n0)) if g_arr.ndim == 2 else g_arr
        if g_arr.shape != (nb, m, n0):
            raise ValueError(f"G must have shape ({m}, {n0}) or ({nb}, {m}, {n0})")
        if g0 is None:
            g0_arr = np.zeros((nb, m))
        else:
            g0_arr = _as_f64(g0, "g0", np.ndim(g0), finite=False)  # -+inf: no bound
            g0_arr = np.broadcast_to(g0_arr, (nb, m)) if g0_arr.ndim == 1 else g0_arr
            if g0_arr.shape != (nb, m):
                raise ValueError(f"g0 must have shape ({m},) or ({nb}, {m})")
        with np.errstate(all="ignore"):
            enc = _Enclosure.of(self.lo, self.hi)
            a_new = self.A + g_arr
            mag = np.einsum("bmi,bi->bm", np.abs(self.A) + np.abs(g_arr), _bt(enc.vabs))
            mag = mag + np.abs(self.a0) + np.abs(g0_arr)
            mag_b = np.asarray(mag, np.float64)
            s = enc.scale[:, None]
            # X = sum_i |A_i + G_i - A'_i| |x_i| <= u (|A| + |G|) . vabs + eta sum vabs
            if self.sense == "lower":
                a0_new = _lower(self.a0 + g0_arr, mag_b, 2 * n0 + 2, s)
                a0_new = np.where(np.isnan(a0_new), -np.inf, a0_new)
            else:
                a0_new = _upper(self.a0 + g0_arr, mag_b, 2 * n0 + 2, s)
                a0_new = np.where(np.isnan(a0_new), np.inf, a0_new)
            inf = -np.inf if self.sense == "lower" else np.inf
            broken: Bools = ~np.all(np.isfinite(a_new), axis=2)  # overflow in A + G
            a_new = np.where(broken[:, :, None], 0.0, a_new)
            a0_new = np.where(broken, inf, a0_new)
            bound = _concretize_rows(a_new, a0_new, self.lo, self.hi, self.sense)
        return LinearBound(
            self.sense, bound, np.asarray(a_new, np.float64), a0_new, self.lo, self.hi
        )

    def influence(self) -> F64:
        """(B, n0): ``sum_rows |A| * width``, how much each input dimension moves the bound (a
        split heuristic)."""
        width = self.hi - self.lo
        return np.asarray(np.abs(self.A).sum(axis=1) * width, np.float64)


# --------------------------------------------------------------------------------------------
# backward CROWN / DeepPoly


@dataclass(frozen=True)
class _ReluData:
    """Per hidden layer, (B, n): upper slope/intercept (triangle on [l, u], 1/0 on stable
    neurons), masks, the default lower slope, ``w_relu >= |z|max + t`` on unstable neurons (0
    on stable ones, whose slopes 0 and 1 are exact), and the scale ``>= 1 + sum |z|max + sum
    |h_{k-1}|max`` (B,)."""

    s_up: F64
    t_up: F64
    unstable: Bools
    active: F64
    a_default: F64
    w_relu: F64
    scale: F64


def _relu_data(net: FloatNet, sym: SymbolicBounds, lower_slope: LowerSlope) -> list[_ReluData]:
    """The CROWN relaxation data of every hidden layer (cached on ``sym``)."""
    cached = sym._relu_cache.get(lower_slope)
    if cached is not None:
        return cached
    out = []
    for k in range(net.depth - 1):
        low, up = sym.bounds[k]
        active = low >= 0
        inactive = (up <= 0) & ~active
        unstable = ~(active | inactive)
        act = np.asarray(active, np.float64)
        s, a = act.copy(), act.copy()  # stable neurons: exact slopes 1 or 0
        t, w = np.zeros_like(low), np.zeros_like(low)
        iu = np.nonzero(unstable)
        if iu[0].size:  # the unstable neurons, gathered
            lg, ug = low[iu], up[iu]
            sg = ug / (ug - lg)
            tg = _upper_intercept(sg, lg, ug)
            s[iu], t[iu] = sg, tg
            a[iu] = _lower_slopes(lower_slope, lg, ug)
            w[iu] = _up_nonneg(np.maximum(-lg, ug) + tg, 2)  # >= |z|max + t
        scale = sym.hsum[k] + 2.0 * np.maximum(np.abs(low), np.abs(up)).sum(axis=1)
        out.append(_ReluData(s, t, unstable, act, a, w, np.asarray(scale, np.float64)))
    sym._relu_cache[lower_slope] = out
    return out


def _affine_weights(sym: SymbolicBounds, k: int) -> F64:
    """(B, n_k): ``>= (|W_k| |h_{k-1}| + |b_k|) + pert_k``."""
    pert = sym.pert[k]
    return sym.mag[k] if pert is None else _up_nonneg(sym.mag[k] + pert, 2)


def _crown_rigorous(
    net: FloatNet,
    sym: SymbolicBounds,
    relu: list[_ReluData],
    c_mat: F64,
    d_vec: F64,
    slopes: Sequence[F64] | None,
) -> tuple[F64, F64, Bools]:
    """Back-substitution with the error terms of the module docstring. Returns ``(A, a0,
    bad_rows)`` with ``C y + d >= A x + a0`` on every box row that is not bad."""
    nb, m, _ = c_mat.shape
    lam = c_mat
    c = d_vec
    bad = np.zeros((nb, m), dtype=bool)
    last = net.depth - 1
    sub = "bmj,bj->bm"
    for k in range(last, -1, -1):
        n = net.widths[k + 1]
        pert = sym.pert[k]
        mag = np.abs(c)
        if k < last:
            rd = relu[k]
            if slopes is None:
                alow = rd.a_default[:, None, :]
            else:
                alow = np.where(rd.unstable[:, None, :], slopes[k], rd.active[:, None, :])
            lneg = np.minimum(lam, 0.0)
            # one of the two products is an exact zero: one rounding per entry, none where
            # the slope is 0 or 1
            lam1 = np.maximum(lam, 0.0) * alow + lneg * rd.s_up[:, None, :]
            tsum = np.einsum(sub, lneg, rd.t_up)
            mag = mag + np.einsum(sub, np.abs(lam), rd.w_relu)
            scale = rd.scale
        else:
            lam1 = lam
            tsum = None
            scale = sym.hsum[k]
        new = (lam1.reshape(nb * m, n) @ net.weights[k]).reshape(nb, m, net.widths[k])
        val = c + (lam1.reshape(nb * m, n) @ net.biases[k]).reshape(nb, m)
        if tsum is not None:
            val = val + tsum
        lam1_abs = np.abs(lam1)
        if pert is not None:
            val = val - np.einsum(sub, lam1_abs, pert)
        mag = mag + np.einsum(sub, lam1_abs, _affine_weights(sym, k))
        c = _lower(val, mag, 3 * n + 1, scale[:, None])
        bad |= ~np.isfinite(mag) | ~np.isfinite(c)
        lam = new
    return np.asarray(lam, np.float64), np.asarray(c, np.float64), bad


def _alpha_value_and_grad(
    net: FloatNet,
    relu: list[_ReluData],
    c_mat: F64,
    d_vec: F64,
    alphas: list[F64],
    mid: F64,
    rad: F64,
) -> tuple[F64, list[F64]]:
    """The float CROWN bound (B, m) for per-row lower slopes ``alphas`` and its gradient with
    respect to them (reverse mode through the back-substitution; the sign pattern of the
    coefficients is held fixed, as autograd would)."""
    nb, m, _ = c_mat.shape
    last = net.depth - 1
    lam = c_mat
    c = d_vec
    lam_h: list[F64] = [np.zeros(0)] * last
    sigs: list[F64] = [np.zeros(0)] * last
    for k in range(last, -1, -1):
        n = net.widths[k + 1]
        if k < last:
            rd = relu[k]
            lam_h[k] = lam
            alow = np.where(rd.unstable[:, None, :], alphas[k], rd.active[:, None, :])
            sig = np.where(lam >= 0, alow, rd.s_up[:, None, :])
            c = c + (np.minimum(lam, 0.0) * rd.t_up[:, None, :]).sum(axis=2)
            lam = lam * sig
            sigs[k] = sig
        c = c + lam @ net.biases[k]
        lam = (lam.reshape(nb * m, n) @ net.weights[k]).reshape(nb, m, net.widths[k])
    val = (lam * mid).sum(axis=2) - (np.abs(lam) * rad).sum(axis=2) + c
    grads: list[F64] = [np.zeros(0)] * last
    g = mid - np.sign(lam) * rad  # d val / d (coefficients over x)
    for k in range(last):
        nxt = net.widths[k + 1]
        g_z = (g.reshape(nb * m, -1) @ net.weights[k].T).reshape(nb, m, nxt) + net.biases[k]
        rd = relu[k]
        lh = lam_h[k]
        grads[k] = g_z * lh * ((lh >= 0) & rd.unstable[:, None, :])
        g = g_z * sigs[k] + (lh < 0) * rd.t_up[:, None, :]
    return np.asarray(val, np.float64), grads


def _alpha_optimize(
    net: FloatNet,
    sym: SymbolicBounds,
    relu: list[_ReluData],
    c_mat: F64,
    d_vec: F64,
    steps: int,
    lr: float,
) -> list[F64]:
    """Projected Adam ascent on per-row lower slopes (B, m, n_k) of the float (unrigorous)
    CROWN bound; returns the best slopes seen for each row. Any slope in [0, 1] is sound."""
    nb, m, _ = c_mat.shape
    enc = _Enclosure.of(sym.lo, sym.hi)
    mid, rad = _bt(enc.mid)[:, None, :], _bt(enc.rad)[:, None, :]
    alphas = [
        np.broadcast_to(r.a_default[:, None, :], (nb, m, r.a_default.shape[1])).copy() for r in relu
    ]
    best = [a.copy() for a in alphas]
    best_val = np.full((nb, m), -np.inf)
    m1 = [np.zeros_like(a) for a in alphas]
    m2 = [np.zeros_like(a) for a in alphas]
    b1, b2, eps = 0.9, 0.999, 1e-12
    for it in range(steps + 1):
        val, grads = _alpha_value_and_grad(net, relu, c_mat, d_vec, alphas, mid, rad)
        better = val > best_val
        best_val = np.where(better, val, best_val)
        for k, a in enumerate(alphas):
            best[k][better] = a[better]
        if it == steps:
            break
        for k, grad in enumerate(grads):  # Adam ascent, projected onto [0, 1]
            m1[k] = b1 * m1[k] + (1 - b1) * grad
            m2[k] = b2 * m2[k] + (1 - b2) * grad * grad
            mhat = m1[k] / (1 - b1 ** (it + 1))
            vhat = m2[k] / (1 - b2 ** (it + 1))
            alphas[k] = np.clip(alphas[k] + lr * mhat / (np.sqrt(vhat) + eps), 0.0, 1.0)
    return best


def _interval_objective_lower(c_mat: F64, d_vec: F64, low: F64, up: F64) -> F64:
    """Sound lower bound (B, m) of ``C y + d`` for ``low <= y <= up`` (B, n): (L3) with
    ``V = C+ low + C- up + d`` (``2 n + 1`` leaves), ``M = |C| max(|low|, |up|) + |d|``."""
    yabs = np.maximum(np.abs(low), np.abs(up))
    sub = "bmj,bj->bm"
    val = np.einsum(sub, np.maximum(c_mat, 0.0), low) + np.einsum(sub, np.minimum(c_mat, 0.0), up)
    mag = np.einsum(sub, np.abs(c_mat), yabs) + np.abs(d_vec)
    out = _lower(val + d_vec, mag, 2 * c_mat.shape[2] + 1)
    return np.asarray(np.where(np.isfinite(out), out, -np.inf), np.float64)


def crown_lower(
    net: FloatNet,
    sym: SymbolicBounds,
    c: npt.ArrayLike,
    d: npt.ArrayLike | None = None,
    *,
    lower_slope: LowerSlope = "adaptive",
    alpha: bool = False,
    alpha_steps: int = 20,
    alpha_lr: float = 0.1,
) -> LinearBound:
    """Sound lower bounds of ``C @ y + d`` over the boxes of ``sym`` by back-substitution.

    ``c``: (m, n_out) or (B, m, n_out); ``d``: (m,) or (B, m) or None. Uses the intermediate
    bounds of :func:`symbolic_bounds` (``sym``), the triangle upper relaxation and lower slopes
    ``lower_slope``; with ``alpha=True`` the lower slopes of unstable neurons are optimised per
    objective row by ``alpha_steps`` projected Adam steps first (alpha-CROWN). Returns a
    :class:`LinearBound` with ``C y + d >= A x + a0 >= bound`` on each box.
    """
    check_fp_environment()
    if sym.net is not net:
        raise ValueError("sym was computed for another network")
    nb = sym.batch
    c_mat, d_vec = _objective(c, d, nb, net.n_outputs)
    with np.errstate(all="ignore"):
        relu = _relu_data(net, sym, lower_slope)
        slopes = None
        if alpha and relu:
            found = _alpha_optimize(net, sym, relu, c_mat, d_vec, alpha_steps, alpha_lr)
            # any slope in [0, 1] is sound (L5); make sure that is what we use
            slopes = [np.clip(np.nan_to_num(a, nan=0.0), 0.0, 1.0) for a in found]
        a, a0, bad = _crown_rigorous(net, sym, relu, c_mat, d_vec, slopes)
        bound = _concretize_rows(a, a0, sym.lo, sym.hi, "lower")
        bad |= ~np.isfinite(bound)
        if bad.any():  # fall back to the interval bound of C y + d: 0 x + that
            fallback = _interval_objective_lower(c_mat, d_vec, *sym.bounds[-1])
            a = np.where(bad[:, :, None], 0.0, a)
            a0 = np.where(bad, fallback, a0)
            bound = np.where(bad, fallback, bound)
    return LinearBound("lower", bound, np.asarray(a, np.float64), np.asarray(a0), sym.lo, sym.hi)


def crown_upper(
    net: FloatNet,
    sym: SymbolicBounds,
    c: npt.ArrayLike,
    d: npt.ArrayLike | None = None,
    *,
    lower_slope: LowerSlope = "adaptive",
    alpha: bool = False,
    alpha_steps: int = 20,
    alpha_lr: float = 0.1,
) -> LinearBound:
    """Sound upper bounds of ``C @ y + d``: minus :func:`crown_lower` of ``-C``, ``-d``."""
    nb = sym.batch
    c_mat, d_vec = _objective(c, d, nb, net.n_outputs)
    low = crown_lower(
        net,
        sym,
        -c_mat,
        -d_vec,
        lower_slope=lower_slope,
        alpha=alpha,
        alpha_steps=alpha_steps,
        alpha_lr=alpha_lr,
    )
    return LinearBound("upper", -low.bound, -low.A, -low.a0, sym.lo, sym.hi)


# --------------------------------------------------------------------------------------------
# split heuristics


def smear_scores(net: FloatNet, sym: SymbolicBounds, c: npt.ArrayLike | None = None) -> F64:
    """ReluVal's smear (B, n0): an interval bound of ``|d (C y) / d x_i|`` (ReLU derivatives in
    {0}, {1} or [0, 1] by the stability of ``sym``), summed over rows, times the box width.
    A heuristic (plain floats): split the dimension with the largest score."""
    if sym.net is not net:
        raise ValueError("sym was computed for another network")
    nb = sym.batch
    c_arr = np.eye(net.n_outputs) if c is None else c
    c_mat, _ = _objective(c_arr, None, nb, net.n_outputs)
    m = c_mat.shape[1]
    act, _ina, uns = sym.stability()
    gl = gu = c_mat
    with np.errstate(all="ignore"):
        for k in range(net.depth - 1, -1, -1):
            n = net.widths[k + 1]
            wp, wn = net.wpos[k], net.wneg[k]
            gl2 = gl.reshape(nb * m, n)
            gu2 = gu.reshape(nb * m, n)
            shape = (nb, m, net.widths[k])
            gl, gu = (gl2 @ wp + gu2 @ wn).reshape(shape), (gu2 @ wp + gl2 @ wn).reshape(shape)
            if k > 0:
                a = act[k - 1][:, None, :]
                u = uns[k - 1][:, None, :]
                gl = np.where(a, gl, np.where(u, np.minimum(gl, 0.0), 0.0))
                gu = np.where(a, gu, np.where(u, np.maximum(gu, 0.0), 0.0))
        score = np.maximum(np.abs(gl), np.abs(gu)).sum(axis=1) * (sym.hi - sym.lo)
    return np.asarray(np.where(np.isfinite(score), score, np.inf), np.float64)

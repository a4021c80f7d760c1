"""Tighter intermediate bounds: back-substitution (CROWN / DeepPoly) for hidden layers.

The forward symbolic pass (:func:`alignspec.neural.bounds.symbolic_bounds`) keeps one lower
and one upper linear function per neuron; through six layers they drift apart and deep
neurons look unstable that are not.  Here every hidden neuron still unstable after the
forward pass gets CROWN bounds of its own pre-activation, computed on the network cut after
its layer with the (already refined) bounds of the layers before it, and the tighter of the
two bounds is kept.  Each refined bound is a sound CROWN bound (rigorous rounding included),
and intersecting two sound bounds is sound; the magnitude bounds the rounding analysis
carries stay valid because tighter bounds only make them looser than needed.

On ACAS Xu sub-boxes this halves the unstable neurons of the last layers and closes far
more boxes per bound computation than the forward pass alone (bench/acasxu.py).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from alignspec.neural import bounds as nb

F64 = npt.NDArray[np.float64]

_PREFIXES: dict[int, tuple[nb.FloatNet, list[nb.FloatNet]]] = {}


def prefixes(net: nb.FloatNet) -> list[nb.FloatNet]:
    """``out[k]``: the network cut after layer k (its outputs: layer k's pre-activations)."""
    cached = _PREFIXES.get(id(net))
    if cached is not None and cached[0] is net:
        return cached[1]
    layers = list(zip(net.weights, net.biases, strict=True))
    errors = [
        None if we is None or be is None else (we, be)
        for we, be in zip(net.weight_errors, net.bias_errors, strict=True)
    ]
    out = [nb.FloatNet(layers[: k + 1], errors[: k + 1]) for k in range(net.depth)]
    _PREFIXES[id(net)] = (net, out)
    return out


def refined(net: nb.FloatNet, sym: nb.SymbolicBounds, *, start: int = 1) -> nb.SymbolicBounds:
    """``sym`` with the pre-activation bounds of hidden layers ``start..`` refined by CROWN
    (per box, only the neurons the current bounds leave unstable)."""
    cut = prefixes(net)
    bounds = list(sym.bounds)
    for k in range(start, net.depth - 1):
        low, up = bounds[k]
        unstable = (low < 0) & (up > 0)  # (B, n_k)
        count = unstable.sum(axis=1)
        m = int(count.max()) if count.size else 0
        if m == 0:
            continue
        # per box, its unstable neurons first (padded with its first one): C is (B, m, n_k)
        order = np.argsort(~unstable, axis=1, kind="stable")[:, :m]
        rows = np.where(np.arange(m)[None, :] < count[:, None], order, order[:, :1])
        eye = np.zeros((sym.batch, m, net.widths[k + 1]))
        np.put_along_axis(eye, rows[:, :, None], 1.0, axis=2)
        part = dataclasses.replace(
            sym,
            net=cut[k],
            bounds=tuple(bounds[: k + 1]),
            mag=sym.mag[: k + 1],
            pert=sym.pert[: k + 1],
            hsum=sym.hsum[: k + 1],
        )
        lower = nb.crown_lower(cut[k], part, eye).bound
        upper = nb.crown_upper(cut[k], part, eye).bound
        new_low, new_up = low.copy(), up.copy()
        batch = np.arange(sym.batch)[:, None]
        np.maximum.at(new_low, (batch, rows), lower)
        np.minimum.at(new_up, (batch, rows), upper)
        bounds[k] = (new_low, new_up)
    return dataclasses.replace(sym, bounds=tuple(bounds))

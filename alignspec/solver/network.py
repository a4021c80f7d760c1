"""ReLU networks in z3: stable neurons stay linear, unstable ones get a case split.

For an unstable neuron (pre-activation bounds l < 0 < u) the output h = max(0, z) is
encoded as ``h >= 0, h >= z, Or(h <= 0, h <= z)`` plus the redundant triangle cut
``h * (u - l) <= u * (z - l)``, which is what made such queries tractable here (DESIGN.md).
The bounds must be sound over the query's inputs; they come as exact rationals.
"""

from __future__ import annotations

from collections.abc import Mapping

import z3

from alignspec.solver.translate import real
from alignspec.symbolic.network import NetworkLink
from alignspec.symbolic.rename import qualified


def encode_network(
    link: NetworkLink, consts: Mapping[str, z3.ExprRef]
) -> list[tuple[str, z3.BoolRef]]:
    out: list[tuple[str, z3.BoolRef]] = []
    terms: list[z3.ArithRef] = []
    for name in link.inputs:
        c = consts[qualified(link.role, name)]
        terms.append(z3.If(c, z3.RealVal(1), z3.RealVal(0)) if z3.is_bool(c) else c)
    last = len(link.network.layers) - 1
    scores: list[z3.ArithRef] = []
    for li, layer in enumerate(link.network.layers):
        pre = [
            _sum([real(w) * t for w, t in zip(row, terms, strict=True) if w != 0] + [real(b)])
            for row, b in zip(layer.weights, layer.bias, strict=True)
        ]
        if li == last:
            scores = pre
            break
        terms = []
        for j, z in enumerate(pre):
            lo, hi = link.bounds[li][j]
            if hi <= 0:
                terms.append(z3.RealVal(0))
            elif lo >= 0:
                terms.append(z)
            else:
                h = z3.Real(f"{link.role}.relu{li}_{j}")
                label = f"{link.role}: relu {li}.{j}"
                out += [
                    (label, h >= 0),
                    (label, h >= z),
                    (label, z3.Or(h <= 0, h <= z)),
                    (f"{label} (triangle cut)", h * real(hi - lo) <= real(hi) * (z - real(lo))),
                ]
                terms.append(h)
    if link.mode == "affine":
        for name, score in zip(link.outputs, scores, strict=True):
            out.append(
                (f"{link.role}: network output {name}", consts[qualified(link.role, name)] == score)
            )
        return out
    assert link.action is not None
    action = consts[qualified(link.role, link.action)]
    for i, si in enumerate(scores):
        if link.mode == "argmax":
            wins = [si > sj for sj in scores[:i]] + [si >= sj for sj in scores[i + 1 :]]
        else:
            wins = [si < sj for sj in scores[:i]] + [si <= sj for sj in scores[i + 1 :]]
        out.append((f"{link.role}: network picks action {i}", (action == i) == z3.And(*wins)))
    return out


def _sum(terms: list[z3.ArithRef]) -> z3.ArithRef:
    """z3.Sum of one term would print as a unary (+ t), which SMT-LIB forbids."""
    return terms[0] if len(terms) == 1 else z3.Sum(terms)

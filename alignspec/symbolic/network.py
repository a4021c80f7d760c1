"""Dense ReLU networks as exact data: weights, sound neuron bounds, and how outputs act.

This is the representation the solver encodes (alignspec.solver) and the policy evaluates
(alignspec.policy.mlp); it holds exact rationals only, so bounds computed here are sound.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Sequence
from fractions import Fraction
from typing import Literal

import attrs

Matrix = tuple[tuple[Fraction, ...], ...]
Vector = tuple[Fraction, ...]
Interval = tuple[Fraction, Fraction]


@attrs.frozen
class Layer:
    """``y = weights @ x + bias`` (weights: one row per output unit)."""

    weights: Matrix
    bias: Vector


@attrs.frozen
class Network:
    """Affine layers with ReLU between them (none after the last)."""

    layers: tuple[Layer, ...]

    def forward(self, x: Sequence[Fraction]) -> list[Fraction]:
        """Exact forward pass (in integers over one common denominator when the weights are
        dyadic rationals, as float64 values are: the same exact result, without a gcd per
        operation)."""
        fast = self._dyadic_forward(x)
        if fast is not None:
            return fast
        values = list(x)
        for i, layer in enumerate(self.layers):
            values = affine(layer, values)
            if i < len(self.layers) - 1:
                values = [v if v > 0 else Fraction(0) for v in values]
        return values

    @functools.cached_property
    def _dyadic(self) -> list[tuple[list[list[int]], list[int], int]] | None:
        """Per layer: weights and bias as integers over one power of two (exponent e:
        value = integer / 2**e), or None when some weight is not dyadic."""
        out = []
        for layer in self.layers:
            entries = [x for row in layer.weights for x in row] + list(layer.bias)
            if any(x.denominator & (x.denominator - 1) for x in entries):
                return None
            e = max(x.denominator.bit_length() - 1 for x in entries)
            w = [
                [x.numerator << (e - x.denominator.bit_length() + 1) for x in row]
                for row in layer.weights
            ]
            b = [x.numerator << (e - x.denominator.bit_length() + 1) for x in layer.bias]
            out.append((w, b, e))
        return out

    def _dyadic_forward(self, x: Sequence[Fraction]) -> list[Fraction] | None:
        layers = self._dyadic
        if layers is None:
            return None
        den = math.lcm(*(v.denominator for v in x)) if x else 1
        h = [v.numerator * (den // v.denominator) for v in x]
        last = len(layers) - 1
        for i, (w, b, ew) in enumerate(layers):
            # z = (w h) / (2**ew den) + b / 2**ew  =  (w h + b den) / (2**ew den)
            h = [sum(map(operator.mul, row, h), bias * den) for row, bias in zip(w, b, strict=True)]
            den <<= ew
            if i < last:
                h = [v if v > 0 else 0 for v in h]
        return [Fraction(v, den) for v in h]

    def bounds(self, box: Sequence[Interval]) -> list[list[Interval]]:
        """Exact interval bounds of every pre-activation, layer by layer, over ``box``.

        Interval arithmetic in Fractions: sound by construction (no rounding to guard).
        """
        out: list[list[Interval]] = []
        lo = [b[0] for b in box]
        hi = [b[1] for b in box]
        for i, layer in enumerate(self.layers):
            pre = [
                interval_dot(row, lo, hi, b)
                for row, b in zip(layer.weights, layer.bias, strict=True)
            ]
            out.append(pre)
            if i < len(self.layers) - 1:
                lo = [max(low, Fraction(0)) for low, _ in pre]
                hi = [max(high, Fraction(0)) for _, high in pre]
        return out


def affine(layer: Layer, x: Sequence[Fraction]) -> list[Fraction]:
    return [
        sum((w * v for w, v in zip(row, x, strict=True)), b)
        for row, b in zip(layer.weights, layer.bias, strict=True)
    ]


def interval_dot(
    row: Sequence[Fraction], lo: Sequence[Fraction], hi: Sequence[Fraction], bias: Fraction
) -> Interval:
    low = high = bias
    for w, a, b in zip(row, lo, hi, strict=True):
        if w >= 0:
            low += w * a
            high += w * b
        else:
            low += w * b
            high += w * a
    return low, high


@attrs.frozen
class NetworkLink:
    """In role ``role``: the action is the network's output on the state variables
    ``inputs``.  ``mode`` "argmax"/"argmin" picks a label of the Choice variable ``action``
    (ties to the first label); "affine" sets the action variables ``outputs`` directly.
    ``bounds`` are sound pre-activation bounds over the query's input box."""

    role: str
    network: Network
    inputs: tuple[str, ...]
    mode: Literal["argmax", "argmin", "affine"]
    action: str | None
    outputs: tuple[str, ...]
    bounds: tuple[tuple[Interval, ...], ...]

    @property
    def unstable(self) -> int:
        """Hidden neurons whose sign the bounds leave open (they need a case split)."""
        return sum(1 for layer in self.bounds[:-1] for lo, hi in layer if lo < 0 < hi)

"""Sound enclosures of real expressions (with sin and cos) over boxes, in exact rationals.

Used to bound a model's error: how far a simplified update (say, dynamics linearised at a
pose) can be from the true one over a region.  Interval arithmetic in Fractions needs no
outward rounding; sin and cos are enclosed by Taylor polynomials with their remainders.
The difference of two expressions is enclosed by the mean-value form on sub-boxes
(value at the centre plus the gradient's enclosure times the half-widths), which is tight
where the two agree to first order.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from fractions import Fraction

import sympy

from alignspec.errors import SpecError
from alignspec.space import to_fraction

Interval = tuple[Fraction, Fraction]


def _mul(a: Interval, b: Interval) -> Interval:
    ps = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    return min(ps), max(ps)


def _power(a: Interval, k: int) -> Interval:
    if k == 0:
        return Fraction(1), Fraction(1)
    lo, hi = a
    if k % 2 == 1:
        return lo**k, hi**k
    if lo >= 0:
        return lo**k, hi**k
    if hi <= 0:
        return hi**k, lo**k
    return Fraction(0), max(lo**k, hi**k)


def _sin(a: Interval) -> Interval:
    lo, hi = a
    m = max(abs(lo), abs(hi))
    if m > 1:
        return Fraction(-1), Fraction(1)
    # x - x^3/6 increases on [-1, 1]; |sin x - (x - x^3/6)| <= |x|^5 / 120
    rem = m**5 / 120
    return lo - lo**3 / 6 - rem, hi - hi**3 / 6 + rem


def _cos(a: Interval) -> Interval:
    sq = _power(a, 2)
    if sq[1] > 1:
        return Fraction(-1), Fraction(1)
    # 1 - x^2/2 <= cos x <= 1 - x^2/2 + x^4/24 for every real x
    return 1 - sq[1] / 2, 1 - sq[0] / 2 + sq[1] ** 2 / 24


def enclose(expr: sympy.Basic, box: Mapping[str, Interval]) -> Interval:
    """An interval containing every value of ``expr`` with its symbols in ``box`` (by
    name).  Supports numbers, +, *, integer powers (negative ones away from 0), sin, cos."""
    if isinstance(expr, sympy.Symbol):
        try:
            return box[expr.name]
        except KeyError:
            raise SpecError(f"no interval for {expr.name!r}: give every symbol a range") from None
    if isinstance(expr, (sympy.Rational, sympy.Float)):
        v = to_fraction(expr, "constant")
        return v, v
    if isinstance(expr, sympy.Add):
        lo = hi = Fraction(0)
        for term in expr.args:
            a, b = enclose(term, box)
            lo, hi = lo + a, hi + b
        return lo, hi
    if isinstance(expr, sympy.Mul):
        out: Interval = (Fraction(1), Fraction(1))
        for factor in expr.args:
            out = _mul(out, enclose(factor, box))
        return out
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer:
        k = int(expr.exp)
        base = enclose(expr.base, box)
        if k >= 0:
            return _power(base, k)
        if base[0] <= 0 <= base[1]:
            raise SpecError(f"cannot enclose {expr}: its base may be 0 over the box")
        inv = (1 / base[1], 1 / base[0])
        return _power(inv, -k)
    if isinstance(expr, sympy.sin):
        return _sin(enclose(expr.args[0], box))
    if isinstance(expr, sympy.cos):
        return _cos(enclose(expr.args[0], box))
    raise SpecError(
        f"cannot enclose {expr} ({type(expr).__name__}): use numbers, +, *, integer "
        "powers, sin and cos"
    )


def difference_bound(
    true: sympy.Basic, model: sympy.Basic, box: Mapping[str, Interval], pieces: int = 8
) -> Fraction:
    """An upper bound on ``|true - model|`` over ``box``: the mean-value form on
    ``pieces`` parts per variable the difference depends on."""
    diff = sympy.expand(sympy.sympify(true) - sympy.sympify(model))
    names = sorted(s.name for s in diff.free_symbols)
    symbols = {s.name: s for s in diff.free_symbols}
    grads = {n: sympy.diff(diff, symbols[n]) for n in names}
    worst = Fraction(0)
    cuts = {
        n: [box[n][0] + (box[n][1] - box[n][0]) * Fraction(k, pieces) for k in range(pieces + 1)]
        for n in names
    }
    for index in itertools.product(range(pieces), repeat=len(names)):
        sub = {n: (cuts[n][k], cuts[n][k + 1]) for n, k in zip(names, index, strict=True)}
        centre = {n: ((a + b) / 2, (a + b) / 2) for n, (a, b) in sub.items()}
        lo, hi = enclose(diff, {**box, **centre})
        for n in names:
            g = enclose(grads[n], {**box, **sub})
            half = (sub[n][1] - sub[n][0]) / 2
            spread = max(abs(g[0]), abs(g[1])) * half
            lo, hi = lo - spread, hi + spread
        worst = max(worst, abs(lo), abs(hi))
    return worst

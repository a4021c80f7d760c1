"""How far the true dynamics may be from a system's update: a per-step error bound that
holds inside a region, so a proof about the update covers the true system there."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import attrs
import sympy

from alignspec.actions import Actions
from alignspec.errors import SpecError
from alignspec.mdp.system import TransitionSystem
from alignspec.space import to_fraction
from alignspec.symbolic.enclose import Interval, difference_bound


def _bounds(value: Mapping[str, object]) -> dict[str, Fraction]:
    out = {str(k): to_fraction(v, f"model error of {k!r}") for k, v in value.items()}
    negative = [k for k, v in out.items() if v < 0]
    if negative:
        raise SpecError(f"model error bounds must be >= 0; {negative} are negative")
    return out


def _region(value: Mapping[str, Any]) -> dict[str, Interval]:
    out = {}
    for k, (lo, hi) in value.items():
        a, b = to_fraction(lo, f"region low of {k!r}"), to_fraction(hi, f"region high of {k!r}")
        if a > b:
            raise SpecError(f"region of {k!r}: {a} > {b}")
        out[str(k)] = (a, b)
    return out


def _short(x: Fraction) -> Fraction:
    """``x`` rounded up to three significant digits (readable, still an upper bound)."""
    if x <= 0:
        return Fraction(0)
    k = 2 - math.floor(math.log10(x))
    scale = Fraction(10) ** k
    return Fraction(math.ceil(x * scale)) / scale


@attrs.frozen
class ModelError:
    """Every step of the true system lands within ``bounds[x]`` of the update in each
    state variable x (missing: 0), as long as the state lies in ``region`` (ranges by
    variable; missing: the declared bounds).  ``about`` names the true system, for the
    finding's message.  A bmc proof with ``error=`` covers every such dynamics; the
    region is checked along the way."""

    bounds: dict[str, Fraction] = attrs.field(converter=_bounds)
    region: dict[str, Interval] = attrs.field(converter=_region, factory=dict)
    about: str = "the true dynamics"

    @classmethod
    def between(
        cls,
        system: TransitionSystem,
        true: Mapping[str, Mapping[str, object]],
        region: Mapping[str, Any],
        *,
        about: str,
        pieces: int = 8,
    ) -> ModelError:
        """The error bound of ``system``'s update against ``true``: per action label, the
        true next value of each state variable (sympy, over the state symbols, with sin
        and cos allowed), enclosed soundly over ``region`` (exact interval arithmetic,
        Taylor remainders, the mean-value form on ``pieces`` parts per variable)."""
        from alignspec.neural.reach import _NotAffine, _updates

        actions = system.actions
        if system.update is None or not isinstance(actions, Actions):
            raise SpecError("ModelError.between needs a deterministic system with finite actions")
        names = list(system.space.names)
        missing = [a for a in actions.labels if a not in true]
        if missing:
            raise SpecError(f"true dynamics are missing for the actions {missing}")
        try:
            nominal = _updates(system, names, actions)
        except _NotAffine:
            raise SpecError(
                "ModelError.between compares against an update affine per action"
            ) from None
        box = _region(region)
        for n in names:
            var = system.space.variables[n]
            box.setdefault(n, (Fraction(var.lo), Fraction(var.hi)))  # type: ignore[union-attr]
        symbols = system.space.symbols
        worst = {n: Fraction(0) for n in names}
        for label in actions.labels:
            affine = nominal[label]
            for i, n in enumerate(names):
                if n not in true[label]:
                    raise SpecError(f"true dynamics of {label!r} give no next value for {n!r}")
                model = sympy.Add(
                    sympy.Rational(affine.c[i].numerator, affine.c[i].denominator),
                    *[
                        sympy.Rational(a.numerator, a.denominator) * symbols[m]
                        for a, m in zip(affine.A[i], names, strict=True)
                        if a
                    ],
                )
                e = difference_bound(sympy.sympify(true[label][n]), model, box, pieces)
                worst[n] = max(worst[n], _short(e))
        return cls(worst, dict(region), about)

"""Inductive invariants of closed loops: template polytopes ``{s : rows . s <= bounds}``.

An :class:`Invariant` proved for a system and policy contains every start state, lies
inside the safe set and is closed under one closed-loop step, so every trajectory stays in
it forever.  It is plain data (exact rationals): a runtime shield monitors it with
:meth:`Invariant.contains`, and :meth:`Invariant.condition` states it as a sympy condition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
import sympy

from alignspec.errors import SpecError
from alignspec.space import Space, to_fraction

Interval = tuple[Fraction, Fraction]


def _names(value: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(n) for n in value)


def _rows(value: Sequence[Sequence[object]]) -> tuple[tuple[Fraction, ...], ...]:
    return tuple(tuple(to_fraction(x, "invariant coefficient") for x in row) for row in value)


def _bounds(value: Sequence[object]) -> tuple[Fraction, ...]:
    return tuple(to_fraction(x, "invariant bound") for x in value)


@attrs.frozen
class Invariant:
    """The polytope ``{s : sum_j rows[i][j] * s[names[j]] <= bounds[i] for every i}``."""

    names: tuple[str, ...] = attrs.field(converter=_names)
    rows: tuple[tuple[Fraction, ...], ...] = attrs.field(converter=_rows)
    bounds: tuple[Fraction, ...] = attrs.field(converter=_bounds)

    def __attrs_post_init__(self) -> None:
        if len(self.rows) != len(self.bounds):
            raise SpecError(
                f"an invariant needs one bound per row: {len(self.rows)} rows, "
                f"{len(self.bounds)} bounds"
            )
        for i, row in enumerate(self.rows):
            if len(row) != len(self.names):
                raise SpecError(
                    f"invariant row {i} has {len(row)} coefficients for the "
                    f"{len(self.names)} variables {list(self.names)}"
                )

    def contains(self, state: Mapping[str, object]) -> bool:
        """Exact membership of ``state`` (what a runtime shield monitors)."""
        try:
            values = [to_fraction(state[n], n) for n in self.names]
        except KeyError as err:
            raise SpecError(f"the state has no value for {err.args[0]!r}") from None
        return all(
            sum((a * v for a, v in zip(row, values, strict=True)), Fraction(0)) <= b
            for row, b in zip(self.rows, self.bounds, strict=True)
        )

    def condition(self, space: Space) -> sympy.Basic:
        """The invariant as a sympy condition over ``space``'s variables."""
        symbols = space.symbols
        missing = [n for n in self.names if n not in symbols]
        if missing:
            raise SpecError(f"the space has no variables {missing} for the invariant")
        return sympy.And(
            *[
                sympy.Add(
                    *[
                        sympy.Rational(a.numerator, a.denominator) * symbols[n]
                        for a, n in zip(row, self.names, strict=True)
                        if a
                    ]
                )
                <= sympy.Rational(b.numerator, b.denominator)
                for row, b in zip(self.rows, self.bounds, strict=True)
            ]
        )

    def box(self) -> list[Interval] | None:
        """The exact bounding box, read off the axis rows (None: a side has no axis row)."""
        out = []
        for j in range(len(self.names)):
            hi = lo = None
            for row, b in zip(self.rows, self.bounds, strict=True):
                if all(a == 0 for k, a in enumerate(row) if k != j) and row[j]:
                    if row[j] > 0:
                        hi = b / row[j] if hi is None else min(hi, b / row[j])
                    else:
                        lo = b / row[j] if lo is None else max(lo, b / row[j])
            if lo is None or hi is None:
                return None
            out.append((lo, hi))
        return out

    def plain(self) -> dict[str, Any]:
        """JSON-friendly data (exact rationals as strings); :meth:`from_plain` reads it."""
        return {
            "names": list(self.names),
            "rows": [[str(a) for a in row] for row in self.rows],
            "bounds": [str(b) for b in self.bounds],
        }

    def values(self) -> dict[str, str]:
        """The invariant as a Finding's ``values["invariant"]``: ``names`` and one
        ``"row i"`` per constraint, ``"a1,a2,... <= b"`` (exact rationals)."""
        out = {"names": ",".join(self.names)}
        for i, (row, b) in enumerate(zip(self.rows, self.bounds, strict=True)):
            out[f"row {i}"] = ",".join(str(a) for a in row) + f" <= {b}"
        return out

    @classmethod
    def from_finding(cls, finding: Any) -> Invariant:
        """The invariant a PROVED unbounded ``bmc`` Finding (method ``invariant``) carries."""
        data = getattr(finding, "values", {}).get("invariant")
        if not data:
            raise SpecError(
                "this finding carries no invariant: only a PROVED bmc with horizon=None "
                "(method 'invariant') has one"
            )
        names = str(data["names"]).split(",")
        rows, bounds = [], []
        for i in range(len(data) - 1):
            coef, bound = str(data[f"row {i}"]).split(" <= ")
            rows.append([Fraction(a) for a in coef.split(",")])
            bounds.append(Fraction(bound))
        return cls(names, rows, bounds)

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> Invariant:
        try:
            return cls(
                data["names"],
                [[Fraction(a) for a in row] for row in data["rows"]],
                [Fraction(b) for b in data["bounds"]],
            )
        except (KeyError, TypeError, ValueError) as err:
            raise SpecError(
                f"not an invariant's data (needs names, rows and bounds): {err}"
            ) from None

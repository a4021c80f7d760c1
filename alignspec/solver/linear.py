"""Exact linear feasibility over the rationals (z3's simplex): the occupancy-measure and
potential-shaping questions of alignspec.mdp are posed here.

A system is a list of rows ``(coefficients, op, constant)`` meaning
``sum(c * x[i] for i, c in coefficients.items()) op constant`` with op one of
``==, <=, >=, <, >``, over non-negative or free real variables.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Literal

import attrs
import z3

from alignspec.solver.backend import Budget, _fraction, _reason, _stats
from alignspec.solver.translate import real

Row = tuple[Mapping[int, Fraction], str, Fraction]


@attrs.frozen
class LinearAnswer:
    status: Literal["sat", "unsat", "unknown"]
    values: tuple[Fraction, ...] | None = None
    reason: str | None = None
    stats: dict[str, float] = attrs.field(factory=dict)
    smt2: str | None = None


def feasible(
    n: int,
    rows: Sequence[Row],
    budget: Budget,
    *,
    nonnegative: Sequence[int] = (),
    names: Sequence[str] | None = None,
    export: bool = False,
) -> LinearAnswer:
    """Is there an assignment of ``n`` real variables satisfying every row?"""
    started = time.perf_counter()
    xs = [z3.Real(names[i] if names else f"x{i}") for i in range(n)]
    s = z3.Solver()
    budget.apply(s)
    try:
        for i in nonnegative:
            s.add(xs[i] >= 0)
        for coefficients, op, constant in rows:
            terms = [real(c) * xs[i] for i, c in coefficients.items() if c != 0]
            lhs = z3.Sum(terms) if len(terms) > 1 else terms[0] if terms else z3.RealVal(0)
            rhs = real(constant)
            s.add(
                {
                    "==": lhs == rhs,
                    "<=": lhs <= rhs,
                    ">=": lhs >= rhs,
                    "<": lhs < rhs,
                    ">": lhs > rhs,
                }[op]
            )
        answer = s.check()
    except z3.Z3Exception as err:
        return LinearAnswer("unknown", reason=f"z3 error: {err}")
    stats = _stats(s, started)
    text = "(set-logic QF_LRA)\n" + s.to_smt2() if export else None
    if answer == z3.sat:
        model = s.model()
        values = tuple(_fraction(model.eval(x, True))[0] for x in xs)
        return LinearAnswer("sat", values, stats=stats, smt2=text)
    if answer == z3.unsat:
        return LinearAnswer("unsat", stats=stats, smt2=text)
    return LinearAnswer(
        "unknown", reason=_reason(s, budget, False, started), stats=stats, smt2=text
    )

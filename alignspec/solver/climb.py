"""Maximise by satisfiability: each model found is a state with an exact objective value,
and an unsatisfiable "objective > v" proves v is the maximum.

z3's optimiser can spend its whole budget on mixed integer problems that plain queries
settle at once (6 Int, 3 Bool and 3 Real variables with piecewise objectives per action:
the optimiser exhausted 10^8 resource units, some thirty plain queries found and proved
the optimum in 0.03 s).  The search gallops: it asks for ``objective >= lo + step``
(doubling the step while that is satisfiable), bisects once a bound is refused, and asks
``objective > lo`` after each refusal; a satisfiable answer raises ``lo`` to the model's
exact value.  Nothing is taken on trust: the answer is a model's value plus an UNSAT
query, the same certificate the optimiser's answers get.  Suprema that are not attained
never get that UNSAT; the search gives up after ``PROBES`` queries and the optimiser
decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import attrs
import z3

#: Queries one search may ask before leaving the problem to z3's optimiser.
PROBES = 80


@attrs.frozen
class Climbed:
    """``infeasible``, or the maximum ``value`` with the model attaining it."""

    status: str  # "optimal" | "infeasible"
    value: Fraction | None = None
    model: z3.ModelRef | None = None


#: Values past this many bits mean the search is creeping towards a limit it will not
#: reach (an unattained supremum, a nonlinear objective): the optimiser takes over.
VALUE_BITS = 1024


def _value(model: z3.ModelRef, objective: z3.ArithRef) -> Fraction | None:
    term = model.eval(objective, model_completion=True)
    try:
        if z3.is_int_value(term):
            value = Fraction(term.as_long())
        elif z3.is_rational_value(term):
            value = Fraction(term.as_fraction())
        else:
            return None  # an irrational value: no exact certificate from this search
    except ValueError:  # more digits than Python converts: creeping
        return None
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > VALUE_BITS:
        return None
    return value


def _numeral(x: Fraction) -> z3.ArithRef:
    return z3.Q(x.numerator, x.denominator) if x.denominator != 1 else z3.RealVal(x.numerator)


def _is_zero(term: z3.ArithRef) -> bool:
    # the coefficients come back Int- or Real-sorted depending on the context's history
    term = z3.simplify(term)
    if z3.is_int_value(term):
        return bool(term.as_long() == 0)
    return bool(z3.is_rational_value(term) and term.as_fraction() == 0)


def _polish(
    solver: z3.Solver,
    objective: z3.ArithRef,
    model: z3.ModelRef,
    discrete: Sequence[z3.ExprRef],
    configure: object,
) -> tuple[Fraction, z3.ModelRef] | None:
    """The best value with the model's discrete variables held: a linear program over the
    real variables (z3's optimiser is at its best there), when attained at a vertex."""
    opt = z3.Optimize()
    if callable(configure):
        configure(opt)
    opt.add(*solver.assertions())
    opt.add(*[v == model.eval(v, model_completion=True) for v in discrete])
    handle = opt.maximize(objective)
    if opt.check() != z3.sat:
        return None
    infinite, _, epsilon = opt.upper_values(handle)
    if not (_is_zero(infinite) and _is_zero(epsilon)):
        return None  # unbounded, or not attained: keep the model's own value
    best = opt.model()
    value = _value(best, objective)
    return None if value is None else (value, best)


def climb(
    solver: z3.Solver,
    objective: z3.ArithRef,
    *,
    discrete: Sequence[z3.ExprRef] = (),
    probes: int = PROBES,
    ready: object = None,
    configure: object = None,
) -> Climbed | None:
    """The maximum of ``objective`` over the solver's assertions, or None when the search
    could not settle it in ``probes`` queries (unknown answers, irrational values, an
    unattained supremum).  Each model is polished: with its ``discrete`` variables held,
    the rest is a linear program z3's optimiser solves to a vertex.  ``ready`` (a
    callable) is asked before each query whether the budget allows it; ``configure``
    sets a new optimiser's limits."""
    is_real = objective.is_real()
    model: z3.ModelRef | None = None

    def ask(condition: z3.BoolRef | None) -> tuple[z3.CheckSatResult | None, Fraction | None]:
        """The answer, and (when sat) the objective's exact value at the model, raised to
        the best value for the model's discrete part."""
        nonlocal model
        if callable(ready) and not ready():
            return None, None
        solver.push()
        if condition is not None:
            solver.add(condition)
        answer = solver.check()
        found = None
        if answer == z3.sat:
            model = solver.model()  # read before the pop, which discards it
            found = _value(model, objective)
        solver.pop()
        if found is not None and model is not None and discrete:
            polished = _polish(solver, objective, model, discrete, configure)
            if polished is not None and polished[0] >= found:
                found, model = polished
        return answer, found

    answer, lo = ask(None)
    if answer == z3.unsat:
        return Climbed("infeasible")
    if answer != z3.sat or lo is None:
        return None
    best = model
    target_of = objective if is_real else z3.ToReal(objective)  # compared with reals
    step, hi = Fraction(1), None
    certify = True  # the first (polished) model is often optimal already: try at once
    probed = 0  # bound queries asked (a certificate follows each refused bound, uncounted)
    while True:
        if certify:  # is anything better than lo?  UNSAT: lo is the maximum
            answer, found = ask(target_of > _numeral(lo))
            if answer == z3.unsat:
                return Climbed("optimal", lo, best)
            if answer != z3.sat or found is None or found <= lo:
                return None
            lo, best, certify = found, model, False
            continue
        if probed == probes:
            return None
        probed += 1
        target = (lo + hi) / 2 if hi is not None else lo + step
        answer, found = ask(target_of >= _numeral(target))
        if answer == z3.sat:
            if found is None or found < target:
                return None
            lo, best = found, model
            if hi is None:
                step *= 4
            continue
        if answer != z3.unsat:
            return None
        hi, certify = target, True

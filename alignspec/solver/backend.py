"""Queries to z3 under budgets: satisfiability, exact optimisation, SMT-LIB2 export.

A :class:`Problem` is a set of labelled conditions over one or more *roles* (named copies of
a space, e.g. ``s1`` and ``s2`` for pairs of states).  Every variable carries its bounds into
every query.  Nothing here decides a verdict: callers replay models exactly (see
:mod:`alignspec.engine`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Literal

import attrs
import sympy
import z3

from alignspec.errors import OptionError
from alignspec.solver.network import encode_network
from alignspec.solver.translate import Z3Algebra, domain, real, z3_const
from alignspec.space import Bool, Choice, Int, Real, Space, State, Value
from alignspec.symbolic.fold import fold_cond, fold_num
from alignspec.symbolic.network import NetworkLink
from alignspec.symbolic.rename import qualified, scope_of

#: Default deterministic budget per query (z3 resource units, roughly 1e6 per 0.1-1 s).
DEFAULT_RLIMIT = 100_000_000


def _rlimit(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise OptionError(
            f"Budget(rlimit={value!r}): the rlimit is a positive whole number of z3 resource "
            f"units (default {DEFAULT_RLIMIT}), or None for no limit"
        )
    return value


def _timeout(value: object) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise OptionError(
            f"Budget(timeout={value!r}): the timeout is a positive finite number of seconds, "
            "or None for no wall-clock limit"
        )
    return float(value)


@attrs.frozen
class Budget:
    """Limits for a check: a deterministic ``rlimit`` per solver query (z3 resource units,
    the same on every machine) and an optional wall-clock ``timeout`` in seconds for the
    whole check (every query, the sampling fallback and any bounding work together).

    A check calls :meth:`start` once; the started budget carries the deadline into every
    piece of work, which gets the time that remains.  Once it is spent, queries answer
    unknown at once and the check reports UNKNOWN: "timeout after N s".
    """

    rlimit: int | None = attrs.field(default=DEFAULT_RLIMIT, converter=_rlimit)
    timeout: float | None = attrs.field(default=None, converter=_timeout)
    deadline: float | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    def start(self) -> Budget:
        """This budget with its clock running (a started budget is returned as it is)."""
        if self.timeout is None or self.deadline is not None:
            return self
        return attrs.evolve(self, deadline=time.monotonic() + self.timeout)

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no wall-clock limit)."""
        if self.timeout is None:
            return None
        if self.deadline is None:
            return self.timeout
        return max(0.0, self.deadline - time.monotonic())

    @property
    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    @property
    def timeout_reason(self) -> str:
        return f"timeout after {self.timeout} s"

    def apply(self, solver: z3.Solver | z3.Optimize) -> None:
        # z3's own Ctrl-C handler cancels the query and returns "unknown", swallowing the
        # interrupt; without it Python raises KeyboardInterrupt as soon as the query returns
        # (every query is bounded by the rlimit or the deadline)
        solver.set("ctrl_c", False)
        if self.rlimit is not None:
            solver.set("rlimit", int(self.rlimit))
        left = self.remaining()
        if left is not None:
            solver.set("timeout", max(1, int(left * 1000)))


def _roles(value: Mapping[str, Space]) -> dict[str, Space]:
    return dict(value)


@attrs.frozen
class Problem:
    """Labelled conditions over named copies ("roles") of spaces."""

    roles: Mapping[str, Space] = attrs.field(converter=_roles)
    constraints: tuple[tuple[str, sympy.Basic], ...] = ()
    networks: tuple[NetworkLink, ...] = ()

    def with_(self, *constraints: tuple[str, sympy.Basic]) -> Problem:
        return attrs.evolve(self, constraints=self.constraints + tuple(constraints))

    @property
    def scope(self) -> dict[str, Real | Int | Bool | Choice]:
        return scope_of(self.roles)


Status = Literal["sat", "unsat", "unknown"]


@attrs.frozen
class Outcome:
    """What z3 said about a Problem; ``states`` is its model (role -> state) when sat."""

    status: Status
    states: dict[str, State] | None = None
    exact: bool = True
    core: tuple[str, ...] = ()
    reason: str | None = None
    stats: dict[str, float] = attrs.field(factory=dict)
    nonlinear: bool = False


@attrs.frozen
class Optimum:
    """The exact supremum of an objective over a Problem, and a state attaining it if any."""

    status: Literal["optimal", "infeasible", "unknown"]
    value: Fraction | None = None
    attained: bool = False
    states: dict[str, State] | None = None
    exact: bool = True
    reason: str | None = None
    stats: dict[str, float] = attrs.field(factory=dict)
    nonlinear: bool = False


class _Encoding:
    """The z3 image of a Problem, able to translate further expressions in the same scope."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.scope = problem.scope
        self.consts = {name: z3_const(name, var) for name, var in self.scope.items()}
        self.has_int = any(isinstance(v, (Int, Choice)) for v in self.scope.values())
        self.has_real = any(isinstance(v, Real) for v in self.scope.values())
        self.algebra = Z3Algebra(self.consts, int_constants=self.has_int)
        self.domain = [c for n, v in self.scope.items() for c in domain(self.consts[n], v)]
        self.assertions = [(label, self.cond(expr)) for label, expr in problem.constraints]
        for link in problem.networks:
            self.assertions += encode_network(link, self.consts)

    def cond(self, expr: sympy.Basic) -> z3.BoolRef:
        return fold_cond(expr, self.scope, self.algebra)

    def num(self, expr: sympy.Basic) -> z3.ArithRef:
        return fold_num(expr, self.scope, self.algebra)

    @property
    def nonlinear(self) -> bool:
        return self.algebra.nonlinear

    def logic(self, quantified: bool = False) -> str:
        arith = "N" if self.nonlinear else "L"
        ints = self.has_int
        reals = self.has_real or self.algebra.real_terms
        sorts = "IRA" if ints and reals else ("IA" if ints or not reals else "RA")
        return ("" if quantified else "QF_") + arith + sorts

    def solver(self, budget: Budget, extra: Sequence[z3.BoolRef] = ()) -> z3.Solver:
        s = z3.Solver()
        budget.apply(s)
        s.add(*self.domain)
        s.add(*[a for _, a in self.assertions])
        s.add(*extra)
        return s

    def states(self, model: z3.ModelRef) -> tuple[dict[str, State], bool]:
        exact = True
        out: dict[str, State] = {}
        for role, space in self.problem.roles.items():
            state: State = {}
            for name, var in space.variables.items():
                value, ok = _value(model.eval(self.consts[qualified(role, name)], True), var)
                state[name] = value
                exact = exact and ok
            out[role] = state
        return out, exact


def _value(term: z3.ExprRef, var: Real | Int | Bool | Choice) -> tuple[Value, bool]:
    if isinstance(var, Bool):
        return z3.is_true(term), True
    if isinstance(var, Choice):
        return var.labels[term.as_long()], True
    if isinstance(var, Int):
        return term.as_long(), True
    return _fraction(term)


def _fraction(term: z3.ExprRef) -> tuple[Fraction, bool]:
    """A z3 numeral as a Fraction; irrational algebraic numbers are approximated (flagged)."""
    if z3.is_int_value(term):
        return Fraction(term.as_long()), True
    if z3.is_rational_value(term):
        return Fraction(term.as_fraction()), True
    if z3.is_algebraic_value(term):
        approx = term.approx(40)
        return Fraction(approx.as_fraction()), False
    raise ValueError(f"not a numeral: {term}")


def _stats(s: z3.Solver | z3.Optimize, started: float) -> dict[str, float]:
    st = s.statistics()
    out: dict[str, float] = {"seconds": round(time.perf_counter() - started, 6)}
    for key in st.keys():
        if key in ("rlimit count", "max memory", "conflicts", "decisions"):
            out[key.replace(" ", "_")] = st.get_key_value(key)
    return out


def _reason(s: z3.Solver | z3.Optimize, budget: Budget, nonlinear: bool, started: float) -> str:
    raw = s.reason_unknown()
    if (
        "resource limit" in raw
        or "rlimit" in raw
        or "canceled" in raw
        or "timeout" in raw
        or (
            raw == "unknown"
            and budget.rlimit is not None
            and _stats(s, started).get("rlimit_count", 0) >= budget.rlimit
        )
    ):
        if budget.timeout is not None and (budget.rlimit is None or budget.expired):
            return budget.timeout_reason
        return f"rlimit budget of {budget.rlimit} exhausted"
    if nonlinear:
        return f"nonlinear arithmetic: z3 gave up ({raw})"
    return f"z3 answered unknown ({raw})"


def solve(
    problem: Problem, budget: Budget, *, want_core: bool = False, want_model: bool = True
) -> Outcome:
    """Is there an assignment of every role satisfying every constraint?  With
    ``want_model=False`` a "sat" carries no states (reading a large model costs time)."""
    if budget.expired:
        return Outcome("unknown", reason=budget.timeout_reason)
    try:
        return _solve(problem, budget, want_core, want_model)
    except z3.Z3Exception as err:  # never a bare solver traceback: say what z3 said
        return Outcome("unknown", reason=f"z3 error: {err}")


def _solve(problem: Problem, budget: Budget, want_core: bool, want_model: bool) -> Outcome:
    enc = _Encoding(problem)
    started = time.perf_counter()
    s = z3.Solver()
    budget.apply(s)
    s.add(*enc.domain)
    labels: dict[str, str] = {}
    for i, (label, assertion) in enumerate(enc.assertions):
        if want_core:
            tag = f"c{i}"
            labels[tag] = label
            s.assert_and_track(assertion, z3.Bool(tag))
        else:
            s.add(assertion)
    answer = s.check()
    stats = _stats(s, started)
    if answer == z3.sat:
        if not want_model:
            return Outcome("sat", stats=stats, nonlinear=enc.nonlinear)
        states, exact = enc.states(s.model())
        return Outcome("sat", states, exact, stats=stats, nonlinear=enc.nonlinear)
    if answer == z3.unsat:
        core = tuple(labels[str(c)] for c in s.unsat_core()) if want_core else ()
        return Outcome("unsat", core=core, stats=stats, nonlinear=enc.nonlinear)
    return Outcome(
        "unknown",
        reason=_reason(s, budget, enc.nonlinear, started),
        stats=stats,
        nonlinear=enc.nonlinear,
    )


def maximize(problem: Problem, objective: sympy.Basic, budget: Budget) -> Optimum:
    """The exact supremum of ``objective`` over the problem's assignments.

    z3's optimiser proposes the value; a second, plain satisfiability query then checks that
    nothing exceeds it (so an upper bound is never taken on trust).  When the supremum is
    not attained (strict inequalities), a quantified query confirms it is the least bound.
    """
    if budget.expired:
        return Optimum("unknown", reason=budget.timeout_reason)
    try:
        return _maximize(problem, objective, budget)
    except z3.Z3Exception as err:
        return Optimum("unknown", reason=f"z3 error: {err}")


_CURVE: bool | None = None  # does this z3 have optsmt_unbounded_curve?


def _tame(opt: z3.Optimize) -> None:
    """Switch off z3's attempts to certify an unbounded objective along a curve through
    models: alignspec reports an unbounded optimum as undecided anyway, and that search can
    spin in big-number root extraction that no rlimit interrupts (seen with z3 5.4 on a
    bounded linear problem, depending on the context's earlier terms)."""
    global _CURVE
    if _CURVE is None:
        params = opt.param_descrs()
        _CURVE = "optsmt_unbounded_curve" in {params.get_name(i) for i in range(params.size())}
    if _CURVE:  # newer z3 only
        opt.set("optsmt_unbounded_curve", False)


def _maximize(problem: Problem, objective: sympy.Basic, budget: Budget) -> Optimum:
    enc = _Encoding(problem)
    started = time.perf_counter()
    obj = enc.num(objective)
    opt = z3.Optimize()
    _tame(opt)
    budget.apply(opt)
    opt.add(*enc.domain)
    opt.add(*[a for _, a in enc.assertions])
    handle = opt.maximize(obj)
    answer = opt.check()
    stats = _stats(opt, started)
    nl = enc.nonlinear
    if answer == z3.unsat:
        return Optimum("infeasible", stats=stats, nonlinear=nl)
    if answer != z3.sat:
        return Optimum(
            "unknown", reason=_reason(opt, budget, nl, started), stats=stats, nonlinear=nl
        )
    infinite, standard, epsilon = opt.upper_values(handle)
    try:
        value, exact_value = _fraction(z3.simplify(standard))
        eps, _ = _fraction(z3.simplify(epsilon))
        inf, _ = _fraction(z3.simplify(infinite))
    except ValueError:
        return Optimum("unknown", reason="optimum is not a numeral", stats=stats, nonlinear=nl)
    if inf != 0 or not exact_value:
        return Optimum(
            "unknown", reason="optimum is unbounded or irrational", stats=stats, nonlinear=nl
        )
    check = enc.solver(budget, [obj > real(value)])
    if check.check() != z3.unsat:
        return Optimum(
            "unknown",
            reason=f"could not confirm {value} as an upper bound",
            stats=stats,
            nonlinear=nl,
        )
    stats["seconds"] = round(time.perf_counter() - started, 6)
    if eps == 0:
        states, exact = enc.states(opt.model())
        return Optimum("optimal", value, True, states, exact, stats=stats, nonlinear=nl)
    if is_supremum(problem, objective, value, budget) is not True:
        return Optimum(
            "unknown",
            reason=f"could not confirm {value} as the supremum (it is not attained)",
            stats=stats,
            nonlinear=nl,
        )
    return Optimum("optimal", value, False, stats=stats, nonlinear=nl)


def is_supremum(
    problem: Problem, objective: sympy.Basic, value: Fraction, budget: Budget
) -> bool | None:
    """Whether no bound below ``value`` holds for the objective (None: solver gave up)."""
    enc = _Encoding(problem)
    obj = enc.num(objective)
    bound = z3.Real("__bound")
    body = z3.Implies(z3.And(*enc.domain, *[a for _, a in enc.assertions]), obj <= bound)
    s = z3.Solver()
    budget.apply(s)
    s.add(bound < real(value), z3.ForAll(list(enc.consts.values()), body))
    try:
        answer = s.check()
    except z3.Z3Exception:
        return None
    return None if answer == z3.unknown else answer == z3.unsat


def smt2(problem: Problem) -> str:
    """The problem as a portable SMT-LIB2 script: set-logic first, then declarations,
    bounds, the constraints and ``(check-sat)``.  ``unsat`` means the check PROVED."""
    enc = _Encoding(problem)
    s = z3.Solver()
    s.add(*enc.domain)
    for _, assertion in enc.assertions:
        s.add(assertion)
    body = s.to_smt2()
    lines = [line for line in body.splitlines() if not line.startswith("; benchmark")]
    return f"(set-logic {enc.logic()})\n" + "\n".join(lines) + "\n"


def encoding_value(
    expr: sympy.Basic, roles: Mapping[str, Space], env: Mapping[str, Value], *, condition: bool
) -> Fraction | bool:
    """Evaluate the z3 translation of ``expr`` at ``env`` (z3 simplification only).

    Used by the property tests that hold the encoding to exact sympy evaluation.
    """
    enc = _Encoding(Problem(roles))
    term = enc.cond(expr) if condition else enc.num(expr)
    subs = []
    for name, var in enc.scope.items():
        value = env[name]
        c = enc.consts[name]
        if isinstance(var, Bool):
            subs.append((c, z3.BoolVal(bool(value))))
        elif isinstance(var, Choice):
            subs.append((c, z3.IntVal(var.index(str(value)))))
        elif isinstance(var, Int):
            subs.append((c, z3.IntVal(int(value))))
        else:
            subs.append((c, real(Fraction(value))))
    result = z3.simplify(z3.substitute(term, *subs))
    if condition:
        return bool(z3.is_true(result))
    return _fraction(result)[0]


def solver_versions() -> dict[str, str]:
    return {"z3": z3.get_version_string()}

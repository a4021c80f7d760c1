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
from z3 import z3core as C

from alignspec.errors import OptionError
from alignspec.solver.climb import climb
from alignspec.solver.network import encode_network
from alignspec.solver.translate import (
    SmtAlgebra,
    Term,
    declaration,
    domain,
    real,
    symbol,
    z3_const,
)
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


class _Consts(dict[str, z3.ExprRef]):
    """z3 constants by qualified name, made on first use (most queries need none: their
    text declares the variables, and the parsed terms use the same constants)."""

    def __init__(self, scope: Mapping[str, Real | Int | Bool | Choice]) -> None:
        super().__init__()
        self.scope = scope

    def __missing__(self, name: str) -> z3.ExprRef:
        const = self[name] = z3_const(name, self.scope[name])
        return const

    def every(self) -> list[z3.ExprRef]:
        return [self[name] for name in self.scope]


class _Encoding:
    """The z3 image of a Problem as SMT-LIB2 text (z3 parses it in one call), able to
    translate further expressions in the same scope."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.scope = problem.scope
        self.has_int = any(isinstance(v, (Int, Choice)) for v in self.scope.values())
        self.has_real = any(isinstance(v, Real) for v in self.scope.values())
        self.names = {name: symbol(name) for name in self.scope}
        self.algebra = SmtAlgebra(self.names, int_constants=self.has_int)
        self.declarations = "".join(declaration(n, v) for n, v in self.scope.items())
        self.domain = [c for n, v in self.scope.items() for c in domain(n, v)]
        self.assertions = [(label, self.cond_text(expr)) for label, expr in problem.constraints]
        self.consts = _Consts(self.scope)
        self.networks: list[tuple[str, z3.BoolRef]] = []
        for link in problem.networks:
            self.networks += encode_network(link, self.consts)

    def cond_text(self, expr: sympy.Basic) -> str:
        return fold_cond(expr, self.scope, self.algebra)

    def num_text(self, expr: sympy.Basic) -> Term:
        return fold_num(expr, self.scope, self.algebra)

    def script(
        self, extra: Sequence[str] = (), *, constraints: bool = True, tracked: str = ""
    ) -> str:
        """Declarations, bounds, the constraints (unless not wanted), ``extra`` and the
        ready-made ``tracked`` text as one SMT-LIB2 script."""
        texts = [text for _, text in self.assertions] if constraints else []
        asserted = "".join(f"(assert {a})" for a in [*self.domain, *texts, *extra])
        return self.declarations + asserted + tracked

    def parse(self, texts: Sequence[str]) -> list[z3.BoolRef]:
        """Conditions (text) as z3 terms over this encoding's variables."""
        if not texts:
            return []
        return list(
            z3.parse_smt2_string(self.declarations + "".join(f"(assert {t})" for t in texts))
        )

    def num(self, expr: sympy.Basic) -> z3.ArithRef:
        """A number as a z3 term (parsed as the argument of an uninterpreted predicate, which
        z3's parser never rewrites)."""
        text, is_int, _ = self.num_text(expr)
        sort_name = "Int" if is_int else "Real"
        script = (
            f"{self.declarations}(declare-fun |wrap!| ({sort_name}) Bool)(assert (|wrap!| {text}))"
        )
        term: z3.ArithRef = z3.parse_smt2_string(script)[0].arg(0)
        return term

    def every_assertion(self) -> list[z3.BoolRef]:
        """Bounds, constraints and network links as z3 terms."""
        texts = [*self.domain, *(text for _, text in self.assertions)]
        return self.parse(texts) + [a for _, a in self.networks]

    @property
    def nonlinear(self) -> bool:
        return self.algebra.nonlinear

    def logic(self, quantified: bool = False) -> str:
        arith = "N" if self.nonlinear else "L"
        ints = self.has_int
        reals = self.has_real or self.algebra.real_terms
        sorts = "IRA" if ints and reals else ("IA" if ints or not reals else "RA")
        return ("" if quantified else "QF_") + arith + sorts

    def load(self, s: z3.Solver | z3.Optimize, extra: Sequence[str] = ()) -> None:
        s.from_string(self.script(extra))
        for _, a in self.networks:
            s.add(a)

    def solver(self, budget: Budget, extra: Sequence[z3.BoolRef] = ()) -> z3.Solver:
        s = z3.Solver()
        budget.apply(s)
        self.load(s)
        s.add(*extra)
        return s

    def states(self, model: z3.ModelRef) -> tuple[dict[str, State], bool]:
        exact = True
        values = _model_values(model)
        out: dict[str, State] = {}
        for role, space in self.problem.roles.items():
            state: State = {}
            for name, var in space.variables.items():
                key = qualified(role, name)
                value = _read(values.get(key), var)
                if value is None:  # not in the model, or not a plain numeral: ask z3
                    value, ok = _value(model.eval(self.consts[key], True), var)
                    exact = exact and ok
                state[name] = value
            out[role] = state
        return out, exact


def _model_values(model: z3.ModelRef) -> dict[str, Fraction | bool]:
    """The model's constants that are plain numerals or truth values, by name, read
    through z3's C API (z3's Python objects for each value cost some 25 microseconds a
    variable, a tenth of a large query's time).  Anything else (an irrational algebraic
    number, say) is left out, for :meth:`_Encoding.states` to ask z3 about."""
    ctx, mdl = model.ctx.ref(), model.model
    out: dict[str, Fraction | bool] = {}
    seen: dict[str, Fraction] = {}
    for i in range(C.Z3_model_get_num_consts(ctx, mdl)):
        decl = C.Z3_model_get_const_decl(ctx, mdl, i)
        value = C.Z3_model_get_const_interp(ctx, mdl, decl)
        name = C.Z3_get_symbol_string(ctx, C.Z3_get_decl_name(ctx, decl))
        if C.Z3_is_numeral_ast(ctx, value):
            text = C.Z3_get_numeral_string(ctx, value)  # "3", "-3" or "-3/4", exact
            number = seen.get(text)
            if number is None:
                number = seen[text] = Fraction(text)
            out[name] = number
        elif C.Z3_get_sort_kind(ctx, C.Z3_get_sort(ctx, value)) == z3.Z3_BOOL_SORT:
            truth = C.Z3_get_bool_value(ctx, value)
            if truth != z3.Z3_L_UNDEF:
                out[name] = truth == z3.Z3_L_TRUE
    return out


def _read(value: Fraction | bool | None, var: Real | Int | Bool | Choice) -> Value | None:
    """A model value as the plain Python value of ``var``; None when it is not one."""
    if value is None:
        return None
    if isinstance(var, Bool):
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if isinstance(var, Real):
        return value
    if value.denominator != 1:
        return None
    if isinstance(var, Choice):
        index = int(value)
        return var.labels[index] if 0 <= index < len(var.labels) else None
    return int(value)


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
    if budget.timeout is not None and budget.expired:
        # the wall clock ran out, whatever z3 says about it (often a bare "unknown")
        return budget.timeout_reason
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
    labels: dict[str, str] = {}
    tracks: list[z3.BoolRef] = []
    if want_core:  # each constraint is implied by a literal assumed true (assert_and_track)
        labels = {f"core!{i}": label for i, (label, _) in enumerate(enc.assertions + enc.networks)}
        tracks = [z3.Bool(tag) for tag in labels]
        tracked = "".join(
            f"(declare-fun |core!{i}| () Bool)(assert (=> |core!{i}| {text}))"
            for i, (_, text) in enumerate(enc.assertions)
        )
        s.from_string(enc.script(tracked=tracked, constraints=False))
        for track, (_, a) in zip(tracks[len(enc.assertions) :], enc.networks, strict=True):
            s.add(z3.Implies(track, a))
    else:
        enc.load(s)
    answer = s.check(*tracks)
    stats = _stats(s, started)
    if answer == z3.sat:
        if not want_model:
            return Outcome("sat", stats=stats, nonlinear=enc.nonlinear)
        states, exact = enc.states(s.model())
        return Outcome("sat", states, exact, stats=stats, nonlinear=enc.nonlinear)
    if answer == z3.unsat:
        core = tuple(labels[c.decl().name()] for c in s.unsat_core()) if want_core else ()
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
    # Mixed problems (Int, Bool, Choice variables): the optimiser briefly, then plain
    # queries (climb.py), where the optimiser can spend its whole budget in vain, then the
    # optimiser with the whole budget; pure real ones: the optimiser first, the plain
    # search when it gives up.
    mixed = not all(isinstance(v, Real) for v in enc.scope.values())
    if mixed:
        # the optimiser settles most mixed problems at once: a short try first
        short = attrs.evolve(budget, rlimit=min(budget.rlimit or QUICK_RLIMIT, QUICK_RLIMIT))
        quick = _optimise(problem, objective, enc, obj, short, started)
        if quick.status != "unknown":
            return quick
        climbed = _climbed(enc, obj, budget, started)
        if climbed is not None:
            return climbed
    found = _optimise(problem, objective, enc, obj, budget, started)
    # (not for nonlinear objectives: models creep towards the optimum without reaching it)
    if found.status == "unknown" and not mixed and not enc.nonlinear and not budget.expired:
        climbed = _climbed(enc, obj, budget, started)
        if climbed is not None:
            return climbed
    return found


#: The optimiser's first, short try on a mixed problem (z3 resource units).
QUICK_RLIMIT = 500_000


def _climbed(enc: _Encoding, obj: z3.ArithRef, budget: Budget, started: float) -> Optimum | None:
    s = enc.solver(budget)

    def ready() -> bool:
        budget.apply(s)  # the time that remains, per query
        return not budget.expired

    discrete = [enc.consts[name] for name, var in enc.scope.items() if not isinstance(var, Real)]

    def configure(opt: z3.Optimize) -> None:
        _tame(opt)
        budget.apply(opt)

    done = climb(s, obj, discrete=discrete, ready=ready, configure=configure)
    if done is None:
        return None
    stats = _stats(s, started)
    if done.status == "infeasible" or done.model is None or done.value is None:
        return Optimum("infeasible", stats=stats, nonlinear=enc.nonlinear)
    states, exact = enc.states(done.model)
    return Optimum("optimal", done.value, True, states, exact, stats=stats, nonlinear=enc.nonlinear)


def _optimise(
    problem: Problem,
    objective: sympy.Basic,
    enc: _Encoding,
    obj: z3.ArithRef,
    budget: Budget,
    started: float,
) -> Optimum:
    """z3's optimiser proposes; a plain query confirms the bound."""
    opt = z3.Optimize()
    _tame(opt)
    budget.apply(opt)
    enc.load(opt)
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
    body = z3.Implies(z3.And(*enc.every_assertion()), obj <= bound)
    s = z3.Solver()
    budget.apply(s)
    s.add(bound < real(value), z3.ForAll(enc.consts.every(), body))
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
    enc.load(s)
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
    term = enc.parse([enc.cond_text(expr)])[0] if condition else enc.num(expr)
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

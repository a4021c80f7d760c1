"""The human-readable objects: what we want (Intent), what we wrote (Reward), and the Spec."""

from __future__ import annotations

import hashlib
import itertools
import os
import sys
import warnings
from collections.abc import Iterable
from typing import Literal

import attrs
import sympy
from sympy.core.parameters import evaluate
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from alignspec.actions import ActionSpace, merge
from alignspec.errors import (
    NotNumericError,
    OptionError,
    SpecError,
    UndecidedWarning,
    UnsatisfiableAssumptionsError,
)
from alignspec.solver import Budget
from alignspec.space import Bool, Int, Real, Space, State
from alignspec.symbolic.evaluate import holds
from alignspec.symbolic.rename import at, canonical
from alignspec.symbolic.shape import condition_degree, number_degree

Expect = Literal["aligned", "misaligned"]
Labelled = tuple[tuple[str, sympy.Basic], ...]


def _sympify(value: object) -> sympy.Basic:
    if isinstance(value, sympy.Basic):
        return value
    try:
        return sympy.sympify(value, strict=True)
    except (sympy.SympifyError, TypeError):
        raise SpecError(
            f"{value!r} is not a sympy expression; build expressions from space.vars"
        ) from None


def _number(value: object, what: str) -> sympy.Basic:
    """A utility or reward: a number, never a condition (``Intent(x > 1/2)`` crashed the
    checks with a TypeError)."""
    expr = _sympify(value)
    if isinstance(expr, (sympy.Rel, BooleanFunction, BooleanAtom)):
        raise NotNumericError(
            f"{what} {expr} is a condition, not a number to maximise: put conditions in "
            f"Intent(require=[...]) (or assume=[...]), or count it as 0/1 with "
            f"al.indicator({expr})"
        )
    return expr


def _utility(value: object) -> sympy.Basic | None:
    return None if value is None else _number(value, "Intent: the utility")


def _reward_expr(value: object) -> sympy.Basic:
    return _number(value, "Reward: the expression")


def _conditions(value: object) -> tuple[sympy.Basic, ...]:
    if isinstance(value, (sympy.Basic, bool)):
        value = [value]
    if not isinstance(value, Iterable):
        raise SpecError(f"expected a list of conditions, got {value!r}")
    return tuple(_sympify(v) for v in value)


@attrs.frozen
class Intent:
    """What we truly want: a utility to maximise and hard requirements (either may be absent)."""

    utility: sympy.Basic | None = attrs.field(default=None, converter=_utility)
    require: tuple[sympy.Basic, ...] = attrs.field(default=(), converter=_conditions)


@attrs.frozen
class Reward:
    """What we wrote down: the objective an optimiser will actually be given."""

    expr: sympy.Basic = attrs.field(converter=_reward_expr)


def _intent(value: object) -> Intent | None:
    if value is None or isinstance(value, Intent):
        return value
    return Intent(value)


def _reward(value: object) -> Reward | None:
    if value is None or isinstance(value, Reward):
        return value
    return Reward(value)


def _caller() -> tuple[str, int] | None:
    """The first stack frame outside alignspec (and attrs): where the Spec was written."""
    import attr  # attrs' implementation package (evolve and friends live there)

    skip = tuple(
        os.path.dirname(m.__file__) for m in (sys.modules[__name__], attrs, attr) if m.__file__
    )
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(skip) and not filename.startswith("<attrs"):
            return filename, frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return None


@attrs.frozen
class Spec:
    """A specification: a space, the intent, the reward, and assumptions about the world.

    With ``actions`` (an :class:`~alignspec.Actions` set or a Space of action variables)
    the reward, intent and assumptions may depend on the action too; the outer checks then
    range over state-action pairs and the inner checks compare policies against them.

    Everything is validated at construction: unknown symbols, non-boolean constraints,
    unsupported functions, unknown Choice labels and unsatisfiable assumptions raise a
    :class:`~alignspec.SpecError` subclass naming the culprit.
    """

    space: Space
    intent: Intent | None = attrs.field(default=None, converter=_intent)
    reward: Reward | None = attrs.field(default=None, converter=_reward)
    assume: tuple[sympy.Basic, ...] = attrs.field(default=(), converter=_conditions)
    name: str | None = None
    expect: Expect | None = None
    actions: ActionSpace | None = None
    source: tuple[str, int] | None = attrs.field(
        factory=_caller, eq=False, repr=False, kw_only=True
    )
    #: Budget of the satisfiability query on the assumptions made at construction.
    budget: Budget | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    # Derived, validated forms (canonical symbols, Floats kept as exact rationals).
    utility: sympy.Basic | None = attrs.field(init=False, eq=False, repr=False)
    objective: sympy.Basic | None = attrs.field(init=False, eq=False, repr=False)
    requirements: Labelled = attrs.field(init=False, eq=False, repr=False)
    assumptions: Labelled = attrs.field(init=False, eq=False, repr=False)
    nonlinear: bool = attrs.field(init=False, eq=False, repr=False)
    domain: Space = attrs.field(init=False, eq=False, repr=False)
    #: True when some state meets the assumptions, None when the solver could not tell
    #: (then every PROVED may hold vacuously; construction warns).
    satisfiable: bool | None = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # One switch of sympy's evaluation for the whole derivation: every switch clears
        # sympy's caches (and each step below would otherwise switch on its own).
        with evaluate(False):
            self._derive()

    def _derive(self) -> None:
        if not isinstance(self.space, Space):
            raise SpecError(f"Spec(space=...) needs an alignspec.Space, got {self.space!r}")
        if self.expect not in (None, "aligned", "misaligned"):
            raise OptionError(
                f"Spec {self.name!r}: expect={self.expect!r}; use 'aligned', 'misaligned' or None"
            )
        object.__setattr__(self, "domain", merge(self.space, self.actions))
        degrees: list[int] = []
        utility = objective = None
        if self.intent is not None and self.intent.utility is not None:
            utility, d = self._number(self.intent.utility, "intent utility")
            degrees.append(d)
        if self.reward is not None:
            objective, d = self._number(self.reward.expr, "reward")
            degrees.append(d)
        requirements = self._labelled(
            self.intent.require if self.intent else (), "require", degrees
        )
        assumptions = self._labelled(self.assume, "assume", degrees)
        object.__setattr__(self, "utility", utility)
        object.__setattr__(self, "objective", objective)
        object.__setattr__(self, "requirements", requirements)
        object.__setattr__(self, "assumptions", assumptions)
        object.__setattr__(self, "nonlinear", any(d > 1 for d in degrees))
        self._check_assumptions()

    def _where(self, what: str) -> str:
        return f"spec {self.name!r}, {what}" if self.name else what

    def _number(self, expr: sympy.Basic, what: str) -> tuple[sympy.Basic, int]:
        try:
            e = canonical(expr, self.domain, "number")
            return e, number_degree(e, self.domain.variables)
        except SpecError as err:
            raise err.prefixed(self._where(what)) from None

    def _labelled(self, conds: Iterable[sympy.Basic], what: str, degrees: list[int]) -> Labelled:
        out = []
        for i, cond in enumerate(conds):
            try:
                e = canonical(cond, self.domain, "condition")
            except SpecError as err:
                raise err.prefixed(self._where(f"{what}[{i}]")) from None
            label = f"{what}[{i}]: {_shown(e)}"
            try:
                degrees.append(condition_degree(e, self.domain.variables))
            except SpecError as err:
                raise err.prefixed(self._where(label)) from None
            out.append((label, e))
        return tuple(out)

    def _check_assumptions(self) -> None:
        object.__setattr__(self, "satisfiable", True)
        if not self.assumptions:
            return
        from alignspec.solver import Problem, solve

        if self.budget is not None and not isinstance(self.budget, Budget):
            raise OptionError(f"Spec(budget={self.budget!r}) must be an alignspec.Budget")
        if self._simple_witness():
            return
        problem = Problem({"s": self.domain}, self.at_all(self.assumptions, "s"))
        budget = (self.budget or Budget()).start()
        outcome = solve(problem, budget, want_core=True, want_model=False)
        if outcome.status == "unknown":
            object.__setattr__(self, "satisfiable", None)
            warnings.warn(
                UndecidedWarning(
                    f"{self._where('assume')}: the solver could not decide whether any state "
                    f"meets the assumptions ({outcome.reason}); if none does, every PROVED "
                    "about this spec holds vacuously. Give Spec(budget=Budget(...)) more "
                    "room, or simplify the assumptions"
                ),
                stacklevel=5,  # the line that built the Spec
            )
            return
        if outcome.status == "unsat":
            core = outcome.core or tuple(label for label, _ in self.assumptions)
            listing = "; ".join(core)
            raise UnsatisfiableAssumptionsError(
                f"{self._where('assume')}: assumptions are unsatisfiable, no state of the space "
                f"meets them all together with the variable bounds. Conflicting: {listing}",
                core,
            )

    def _simple_witness(self) -> bool:
        """Whether a corner or the centre of the space meets every assumption on exact
        evaluation: a replayed witness of satisfiability, found without the solver (most
        assumptions hold at one of them; otherwise the solver decides)."""
        scope = self.domain.variables
        for point in ("lo", "mid", "hi"):
            state = _point(self.domain, point)
            try:
                if all(holds(e, scope, state) for _, e in self.assumptions):
                    return True
            except (SpecError, ArithmeticError):
                return False
        return False

    # --- helpers for checks -----------------------------------------------------------------
    @property
    def label(self) -> str:
        return self.name or "<unnamed spec>"

    def at(self, expr: sympy.Basic, role: str) -> sympy.Basic:
        """``expr`` about the state called ``role``."""
        return at(expr, self.domain, role)

    def at_all(self, labelled: Labelled, role: str) -> Labelled:
        return tuple((f"{role}: {label}", self.at(e, role)) for label, e in labelled)

    @property
    def digest(self) -> str:
        """A content hash of the spec's meaning (space, expressions, expectation)."""
        text = repr(
            (
                sorted((n, repr(v)) for n, v in self.domain.variables.items()),
                sympy.srepr(self.utility),
                sympy.srepr(self.objective),
                [sympy.srepr(e) for _, e in self.requirements],
                [sympy.srepr(e) for _, e in self.assumptions],
                self.name,
                self.expect,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()


def _point(space: Space, where: Literal["lo", "mid", "hi"]) -> State:
    """The state at the lower corner, the centre or the upper corner of the space (Bool
    False, True or False; a Choice's first, middle or last label)."""
    state: State = {}
    for name, var in space.variables.items():
        if isinstance(var, Real):
            state[name] = {"lo": var.lo, "mid": (var.lo + var.hi) / 2, "hi": var.hi}[where]
        elif isinstance(var, Int):
            state[name] = {"lo": var.lo, "mid": (var.lo + var.hi) // 2, "hi": var.hi}[where]
        elif isinstance(var, Bool):
            state[name] = where == "mid"
        else:
            labels = var.labels
            index = {"lo": 0, "mid": len(labels) // 2, "hi": len(labels) - 1}[where]
            state[name] = labels[index]
    return state


def _shown(e: sympy.Basic, nodes: int = 60, chars: int = 160) -> str:
    """An expression for a label: as sympy prints it when small; when large, unsorted (sympy
    sorts the terms of a sum to print it, which costs more than the check) and shortened:
    only the first terms of a long sum, product, And or Or are printed at all."""
    if sum(1 for _ in itertools.islice(sympy.preorder_traversal(e), nodes + 1)) <= nodes:
        return str(e)
    # most terms print with 8 characters or more ("3*x12 + "), every term with 4 or more
    for keep in (chars // 8 + 1, chars // 4 + 1):
        with evaluate(False):  # (already off during Spec construction)
            clipped = _clipped(e, keep)
        text = str(sympy.sstr(clipped, order="none"))
        if len(text) > chars or clipped is e:
            break
    if len(text) <= chars and clipped is e:
        return text
    return text[: chars - 3] + "..."


def _clipped(e: sympy.Basic, keep: int) -> sympy.Basic:
    """``e`` with every long sum, product, And and Or cut to its first ``keep`` arguments."""
    args = e.args
    if not args:
        return e
    long = len(args) > keep and isinstance(e, (sympy.Add, sympy.Mul, sympy.And, sympy.Or))
    new = [_clipped(a, keep) for a in (args[:keep] if long else args)]
    if not long and all(a is b for a, b in zip(new, args, strict=True)):
        return e
    if isinstance(e, (sympy.Add, sympy.Mul)):
        return e._from_args(new, e.is_commutative)
    return e.func(*new)

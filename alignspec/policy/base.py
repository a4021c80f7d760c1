"""What every policy offers: exact action on one state, a numpy batch, a symbolic rule."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
import sympy
from sympy.core.parameters import evaluate

from alignspec.actions import Actions, ActionSpace, action_space, label_at, merge
from alignspec.errors import (
    BoundsError,
    LabelCountError,
    SpaceError,
    SpecError,
    UnknownLabelError,
)
from alignspec.space import Bool, Choice, Int, Space, State, Value, to_fraction
from alignspec.symbolic.labels import eq

#: An action: a label for finite Actions, a dict of action variables for a Space.
Action = str | State


class Policy(ABC):
    """A map from states of ``space`` to actions of ``actions``.

    ``act`` is the exact semantics (Fractions, labels) that replays every witness;
    ``rule`` is the same map as a sympy condition over state and action variables, which
    the solver encodes exactly (None for black boxes, which can only be sampled).
    """

    def __init__(self, space: Space, actions: ActionSpace) -> None:
        if not isinstance(space, Space):
            raise SpaceError(f"a policy needs an alignspec.Space of states, got {space!r}")
        self.space = space
        self.actions = actions
        self.domain = merge(space, actions)  # validates that names do not clash

    @property
    def finite(self) -> bool:
        return isinstance(self.actions, Actions)

    @property
    def action_names(self) -> tuple[str, ...]:
        return action_space(self.actions).names

    @abstractmethod
    def act(self, state: Mapping[str, object]) -> Action:
        """The exact action at one state."""

    def known_states(self) -> list[State]:
        """States worth sampling first (e.g. a table's keys); empty by default."""
        return []

    def rule(self) -> sympy.Basic | None:
        """The policy as a condition over state and action variables (None: black box)."""
        return None

    @property
    def outputs(self) -> Mapping[str, sympy.Basic] | None:
        """For formula policies over action variables: each variable's output expression,
        which checks bound against the action space (None otherwise)."""
        return None

    def act_batch(self, states: np.ndarray) -> np.ndarray:
        """Actions for a batch (rows in ``space.names`` order; Bool 0/1, Choice label index).

        Finite actions come back as label indices, continuous ones as a float array with a
        column per action variable.
        """
        rows = [self.act(self.decode_row(row)) for row in np.asarray(states)]
        if self.finite:
            assert isinstance(self.actions, Actions)
            return np.array([self.actions.index(str(a)) for a in rows], dtype=np.int64)
        return np.array([[float(a[n]) for n in self.action_names] for a in rows])  # type: ignore[index]

    def decode_row(self, row: Sequence[float]) -> State:
        """A numpy row as an exact state (floats become the rationals they hold)."""
        state: State = {}
        for (name, var), x in zip(self.space.variables.items(), row, strict=True):
            if isinstance(var, Bool):
                state[name] = bool(x)
            elif isinstance(var, Choice):
                state[name] = var.labels[int(x)]
            elif isinstance(var, Int):
                state[name] = int(x)
            else:
                state[name] = Fraction(float(x))
        return state

    def encode_row(self, state: Mapping[str, object]) -> list[float]:
        """A state as a numpy row (the inverse of :meth:`decode_row`)."""
        row = []
        for name, var in self.space.variables.items():
            value = state[name]
            if isinstance(var, Choice):
                row.append(float(var.index(str(value))))
            else:
                row.append(float(value))  # type: ignore[arg-type]
        return row

    def state_of(self, state: Mapping[str, object]) -> State:
        """The state variables of a (state or state-action) dict, validated."""
        return self.space.check_state({n: state[n] for n in self.space.names if n in state})

    def with_action(self, state: Mapping[str, object]) -> State:
        """The state-action dict: ``state`` plus the policy's exact action."""
        s = self.state_of(state)
        action = self.act(s)
        if isinstance(action, dict):
            return {**s, **action}
        assert isinstance(self.actions, Actions)
        return {**s, self.actions.name: action}


def decision_list(
    actions: ActionSpace, branches: Sequence[tuple[sympy.Basic, object]], default: object
) -> sympy.Basic:
    """First matching branch wins: ``Piecewise((a = o1, c1), (a = o2, c2), ...,
    (a = default, True))``, built unevaluated so sympy cannot rewrite a condition (its
    ``ITE`` would, see :class:`alignspec.space.BoolSymbol`).

    An outcome is a label (finite actions), a mapping action variable -> expression
    (continuous actions), or ``sympy.false`` (no action: the state is outside the policy).
    """
    with evaluate(False):
        pieces = [(outcome(actions, result), cond) for cond, result in branches]
        return sympy.Piecewise(*pieces, (outcome(actions, default), sympy.true), evaluate=False)


def outcome(actions: ActionSpace, result: object) -> sympy.Basic:
    if result is sympy.false or result is False:
        return sympy.false
    if isinstance(actions, Actions):
        if not isinstance(result, str):
            raise SpecError(f"policy outcome {result!r} is not an action label of {actions.labels}")
        actions.index(result)
        return eq(actions.symbol, result)
    if not isinstance(result, Mapping):
        raise SpecError(f"policy outcome {result!r} must map action variables to values")
    symbols = actions.symbols
    missing = [n for n in actions.names if n not in result]
    if missing:
        raise SpecError(f"policy outcome {dict(result)!r} lacks action variable(s) {missing}")
    with evaluate(False):
        return sympy.And(*[sympy.Eq(symbols[n], sympy.sympify(result[n])) for n in actions.names])


def exact(value: object, what: str = "value") -> Value:
    """A number as the exact rational it denotes (numpy floats included); NaN, infinities
    and non-numbers raise a SpecError naming ``what``."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isfinite(f):
            return Fraction(f)
        raise SpecError(f"{what} is {f}; every number must be finite")
    try:
        return to_fraction(value, what)
    except BoundsError as err:
        raise SpecError(str(err)) from None


def _integer(value: object) -> bool:
    """An integer class (a float holding one counts: numpy float action arrays)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (float, np.floating)):
        return float(value).is_integer()
    return isinstance(value, (int, np.integer))


def index_labels(actions: Actions, labels: Sequence[str] | None) -> tuple[str, ...]:
    """The labels that integer actions index (``labels[k]`` is action k): ``labels``
    validated against ``actions`` (same count, each an action, no repeats), or the
    actions' own order when None."""
    if labels is None:
        return actions.labels
    if isinstance(labels, str):
        raise SpecError(f"labels={labels!r} must be a sequence of action labels, not one string")
    given = tuple(labels)
    if len(given) != len(actions.labels):
        raise LabelCountError(
            f"labels= has {len(given)} entries {given}; there are {len(actions.labels)} "
            f"actions {actions.labels} (labels[k] names integer action k)"
        )
    for label in given:
        actions.index(str(label))
    if len(set(given)) != len(given):
        raise UnknownLabelError(f"labels= repeats a label: {given}")
    return given


def class_labels(
    classes: Sequence[object], actions: Actions, labels: Sequence[str] | None, what: str
) -> list[str]:
    """The action label of each of a classifier's ``classes`` (in their order).

    Without ``labels`` a class must print as an action label; integer classes that do not
    get a hint to pass ``labels=``.  With ``labels`` integer class k acts as ``labels[k]``
    (gymnasium's ``Discrete`` order)."""
    if labels is None:
        names = [str(c) for c in classes]
        unknown = [n for n in names if n not in actions.labels]
        if unknown:
            hint = (
                "its classes are integers: pass labels=actions.labels to map class k to the "
                "k-th action (gymnasium's Discrete order), or labels=[...] in the order of "
                "the integer actions"
                if all(_integer(c) for c in classes)
                else "train it on the action labels"
            )
            raise UnknownLabelError(
                f"the {what}'s class(es) {unknown} are not among the actions "
                f"{actions.labels}; {hint}"
            )
        return names
    order = index_labels(actions, labels)
    bad = [c for c in classes if not _integer(c)]
    if bad:
        raise UnknownLabelError(
            f"labels= maps integer classes by position, but the {what} has the class(es) "
            f"{bad}; drop labels= if its classes are the action labels"
        )
    return [label_at(order, c, f"{what} class") for c in classes]

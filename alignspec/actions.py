"""Action spaces: a finite set of labelled actions, or a Space of action variables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import sympy

from alignspec.errors import LabelCountError, SpaceError, UnknownLabelError
from alignspec.space import Choice, Space, make_symbol
from alignspec.symbolic.labels import eq


@attrs.frozen(init=False)
class Actions:
    """Finitely many labelled actions: ``Actions("left", "right", "jump")``.

    In expressions the chosen action is the Choice variable ``name`` (default ``action``):
    compare it with ``alignspec.eq(actions.symbol, "left")`` or build a per-action
    objective with :meth:`per_action`.

    Labels are strings.  Integer actions (gymnasium's ``Discrete``, classifiers trained on
    0, 1, 2) are positions in ``labels``: :meth:`numbered` makes the labels "0", "1", ...,
    :meth:`from_gym` reads a gymnasium space, and :meth:`label` maps an integer to its
    label.
    """

    labels: tuple[str, ...]
    name: str

    def __init__(self, *labels: str, name: str = "action") -> None:
        numbers = [x for x in labels if isinstance(x, (int, np.integer))]
        if numbers:
            raise SpaceError(
                f"Actions{tuple(labels)!r}: action labels are strings. For integer actions "
                f"0..n-1 use Actions.numbered(n) (labels '0', '1', ...), "
                "Actions.from_gym(env.action_space, labels=[...]) or name them, e.g. "
                "Actions('left', 'right'); integers then map to labels by position"
            )
        choice = Choice(*labels)  # validates the labels
        if not name.isidentifier():
            raise SpaceError(f"action variable name {name!r} is not a Python identifier")
        self.__attrs_init__(choice.labels, name)

    @classmethod
    def numbered(cls, n: int, *, name: str = "action") -> Actions:
        """The actions "0", "1", ..., str(n - 1): integer action k is label str(k)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise SpaceError(f"Actions.numbered(n) needs a positive integer n, got {n!r}")
        return cls(*[str(k) for k in range(int(n))], name=name)

    @classmethod
    def from_gym(
        cls, action_space: Any, labels: Sequence[str] | None = None, *, name: str = "action"
    ) -> Actions | Space:
        """The actions of a gymnasium action space.  ``Discrete(n, start=s)`` gives
        Actions whose ``labels[k]`` names action s + k (default "s", "s+1", ...); a count
        other than n raises :class:`~alignspec.LabelCountError`.  ``Box`` (finite bounds),
        ``MultiDiscrete``, ``MultiBinary`` and ``Dict`` give a Space of action variables
        (``labels`` names them; default ``action_0``, ...).  Needs gymnasium
        (``pip install alignspec[gym]``)."""
        from alignspec.integrations.gym import actions_from_gym

        return actions_from_gym(action_space, labels, name)

    def label(self, k: object) -> str:
        """The label at position ``k`` (an int, numpy integer or one-element array), for
        integer actions; a label passes through unchanged."""
        if isinstance(k, str):
            self.index(k)
            return k
        return label_at(self.labels, k)

    @property
    def variable(self) -> Choice:
        return Choice(*self.labels)

    @property
    def symbol(self) -> sympy.Symbol:
        return make_symbol(self.name, self.variable)  # the space's own Choice symbol

    @property
    def space(self) -> Space:
        return Space(**{self.name: self.variable})

    def index(self, label: str) -> int:
        if label not in self.labels:
            raise UnknownLabelError(f"{label!r} is not one of the actions {self.labels}")
        return self.labels.index(label)

    def per_action(self, values: Mapping[str, object]) -> sympy.Basic:
        """An objective given per action: ``{"left": expr, "right": expr}`` (every action)."""
        missing = [a for a in self.labels if a not in values]
        extra = [a for a in values if a not in self.labels]
        if missing or extra:
            raise UnknownLabelError(
                f"per_action needs exactly the actions {self.labels}: missing {missing}, "
                f"unknown {extra}"
            )
        pieces = [(sympy.sympify(values[a]), eq(self.symbol, a)) for a in self.labels[:-1]]
        last = (sympy.sympify(values[self.labels[-1]]), sympy.true)
        # unevaluated: sympy would fold Piecewise values into the branches and rewrite them
        return sympy.Piecewise(*pieces, last, evaluate=False)


def label_at(labels: Sequence[str], k: object, what: str = "action") -> str:
    """``labels[k]`` for an integer ``k`` (numpy integers and one-element arrays, as
    ``model.predict`` returns, included); a typed error otherwise."""
    value = k
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)  # classifiers may return integral floats
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise UnknownLabelError(
            f"{what} {k!r} is neither a label nor an integer position in {tuple(labels)}"
        )
    if not 0 <= int(value) < len(labels):
        raise LabelCountError(
            f"{what} {int(value)} has no label: there are {len(labels)} labels "
            f"{tuple(labels)} (positions 0..{len(labels) - 1})"
        )
    return labels[int(value)]


ActionSpace = Actions | Space


def action_space(actions: ActionSpace) -> Space:
    """The action variables as a Space (a finite action set is one Choice variable)."""
    if isinstance(actions, Actions):
        return actions.space
    if isinstance(actions, Space):
        return actions
    raise SpaceError(
        f"actions must be alignspec.Actions(...) or a Space of action variables, got {actions!r}"
    )


def merge(space: Space, actions: ActionSpace | None) -> Space:
    """State and action variables in one Space (names must not clash)."""
    if actions is None:
        return space
    acts = action_space(actions)
    clash = sorted(set(space.variables) & set(acts.variables))
    if clash:
        raise SpaceError(f"action variable(s) {clash} clash with state variables of the same name")
    return Space(**space.variables, **acts.variables)

"""Action spaces: a finite set of labelled actions, or a Space of action variables."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import sympy

from alignspec.errors import SpaceError, UnknownLabelError
from alignspec.space import Choice, Space, make_symbol
from alignspec.symbolic.labels import eq


@attrs.frozen(init=False)
class Actions:
    """Finitely many labelled actions: ``Actions("left", "right", "jump")``.

    In expressions the chosen action is the Choice variable ``name`` (default ``action``):
    compare it with ``alignspec.eq(actions.symbol, "left")`` or build a per-action
    objective with :meth:`per_action`.
    """

    labels: tuple[str, ...]
    name: str

    def __init__(self, *labels: str, name: str = "action") -> None:
        choice = Choice(*labels)  # validates the labels
        if not name.isidentifier():
            raise SpaceError(f"action variable name {name!r} is not a Python identifier")
        self.__attrs_init__(choice.labels, name)

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

"""Transition systems: states, actions and an update, for bounded model checking."""

from __future__ import annotations

from collections.abc import Mapping

import sympy
from sympy.core.parameters import evaluate

from alignspec.actions import ActionSpace, merge
from alignspec.errors import SpecError
from alignspec.space import Space, make_symbol
from alignspec.spec import _conditions
from alignspec.symbolic.rename import at, canonical
from alignspec.symbolic.shape import checked, number_degree

NEXT = "__next"


class TransitionSystem:
    """State variables (a Space), actions, an ``init`` condition over the state and a
    transition relation ``trans`` over the state, the action and the next state, whose
    variables are ``system.next.<name>``.

    ``TransitionSystem.deterministic(space, actions, init, {x: expr})`` builds the relation
    ``next.x == expr`` for every state variable.
    """

    def __init__(
        self,
        space: Space,
        actions: ActionSpace,
        init: object,
        trans: object,
        *,
        name: str | None = None,
    ) -> None:
        self.space = space
        self.actions = actions
        self.domain = merge(space, actions)
        self.name = name
        nexts = {f"{n}{NEXT}": v for n, v in space.variables.items()}
        self.full = Space(**self.domain.variables, **nexts)
        self.init = self._cond(init, self.space, "init")
        self.update: dict[str, sympy.Basic] | None = None
        self.trans = tuple(
            self._cond(t, self.full, f"trans[{i}]") for i, t in enumerate(_conditions(trans))
        )

    @property
    def next(self) -> _Next:
        return _Next(self.full.symbols)

    @staticmethod
    def _cond(cond: object, space: Space, what: str) -> sympy.Basic:
        return checked(cond, space, what, condition=True)

    @classmethod
    def deterministic(
        cls,
        space: Space,
        actions: ActionSpace,
        init: object,
        update: Mapping[str, object],
        *,
        name: str | None = None,
    ) -> TransitionSystem:
        missing = [n for n in space.names if n not in update]
        if missing:
            raise SpecError(f"deterministic update needs an expression for {missing}")
        nexts = {n: make_symbol(f"{n}{NEXT}", space.variables[n]) for n in space.names}
        trans = [sympy.Eq(nexts[n], sympy.sympify(update[n])) for n in space.names]
        system = cls(space, actions, init, trans, name=name)
        system.update = {n: canonical(update[n], system.domain, "number") for n in space.names}
        for e in system.update.values():
            number_degree(e, system.domain.variables)
        return system

    def step_condition(self, role: str, next_role: str) -> sympy.Basic:
        """The transition relation from the state-action in ``role`` to the state in
        ``next_role``."""
        symbols = self.full.symbols
        mapping = {
            symbols[n]: at(self.domain.symbols[n], self.domain, role) for n in self.domain.names
        }
        mapping.update(
            {
                symbols[f"{n}{NEXT}"]: at(self.domain.symbols[n], self.domain, next_role)
                for n in self.space.names
            }
        )
        with evaluate(False):
            return sympy.And(*[t.xreplace(mapping) for t in self.trans])


class _Next:
    def __init__(self, symbols: Mapping[str, sympy.Symbol]) -> None:
        self._symbols = symbols

    def __getattr__(self, name: str) -> sympy.Symbol:
        try:
            return self._symbols[f"{name}{NEXT}"]
        except KeyError:
            raise AttributeError(f"no state variable {name!r}") from None

    def __getitem__(self, name: str) -> sympy.Symbol:
        return self.__getattr__(name)

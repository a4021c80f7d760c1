"""Policies given as formulas: decision lists and expressions, tables, linear scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
import sympy
from sympy.core.parameters import evaluate

from alignspec.actions import Actions, ActionSpace, action_space, label_at
from alignspec.errors import OutsidePolicyError, SpecError
from alignspec.policy.base import Action, Policy, decision_list, exact, index_labels
from alignspec.space import Bool, Choice, Space, State
from alignspec.symbolic.evaluate import holds, value_of
from alignspec.symbolic.labels import eq
from alignspec.symbolic.rename import canonical
from alignspec.symbolic.shape import condition_degree, number_degree


class ExprPolicy(Policy):
    """A policy written as formulas over the state variables.

    Finite actions: a decision list ``[(condition, label), ...]`` and a ``default`` label
    (the first condition that holds picks the action).  Continuous actions: a mapping from
    each action variable to an expression, e.g. ``{"force": -2 * v.angle}``.
    """

    def __init__(
        self,
        space: Space,
        actions: ActionSpace,
        rules: Sequence[tuple[object, str]] | Mapping[str, object],
        default: str | None = None,
    ) -> None:
        super().__init__(space, actions)
        scope = space.variables
        if isinstance(actions, Actions):
            if isinstance(rules, Mapping) or default is None:
                raise SpecError(
                    "ExprPolicy with finite actions takes a decision list "
                    "[(condition, label), ...] and a default label"
                )
            self.branches = []
            for cond, label in rules:
                c = canonical(cond, space, "condition")
                condition_degree(c, scope)
                actions.index(label)
                self.branches.append((c, label))
            actions.index(default)
            self.default = default
        else:
            if not isinstance(rules, Mapping):
                raise SpecError("ExprPolicy with action variables takes {action_var: expression}")
            names = action_space(actions).names
            if sorted(rules) != sorted(names):
                raise SpecError(
                    f"ExprPolicy needs one expression per action variable {names}, "
                    f"got {sorted(rules)}"
                )
            self._outputs = {n: canonical(rules[n], space, "number") for n in names}
            for e in self._outputs.values():
                number_degree(e, scope)

    def act(self, state: Mapping[str, object]) -> Action:
        s = self.state_of(state)
        scope = self.space.variables
        if self.finite:
            for cond, label in self.branches:
                if holds(cond, scope, s):
                    return label
            return self.default
        return {n: value_of(e, scope, s) for n, e in self._outputs.items()}

    @property
    def outputs(self) -> dict[str, sympy.Basic] | None:
        return None if self.finite else self._outputs

    def rule(self) -> sympy.Basic:
        if self.finite:
            return decision_list(self.actions, self.branches, self.default)
        return decision_list(self.actions, [], self._outputs)


def _key_condition(space: Space, state: State) -> sympy.Basic:
    symbols = space.symbols
    parts = []
    for name, var in space.variables.items():
        value = state[name]
        if isinstance(var, Bool):
            parts.append(symbols[name] if value else sympy.Not(symbols[name]))
        elif isinstance(var, Choice):
            parts.append(eq(symbols[name], str(value)))
        else:
            parts.append(sympy.Eq(symbols[name], sympy.Rational(str(value))))
    with evaluate(False):
        return sympy.And(*parts)


class TablePolicy(Policy):
    """A lookup table from states to actions.

    Keys are state dicts or tuples in ``space.names`` order.  Without a ``default`` the
    policy is defined on the table's states only, and checks range over those states.
    With ``labels`` (finite actions) a table entry may be an integer action k, which acts
    as ``labels[k]``: a Q-table's ``argmax`` as it is (``labels=actions.labels``).
    """

    def __init__(
        self,
        space: Space,
        actions: ActionSpace,
        table: Mapping[object, object] | Sequence[tuple[object, object]],
        default: object = None,
        *,
        labels: Sequence[str] | None = None,
    ) -> None:
        super().__init__(space, actions)
        if labels is not None and not isinstance(actions, Actions):
            raise SpecError("labels= maps integer actions to finite Actions' labels")
        self._labels = None if labels is None else index_labels(actions, labels)  # type: ignore[arg-type]
        items = table.items() if isinstance(table, Mapping) else table
        self.table: dict[tuple[object, ...], Action] = {}
        for key, action in items:
            if isinstance(key, Mapping):
                state = dict(key)
            else:
                values = tuple(key) if isinstance(key, (tuple, list)) else (key,)
                if len(values) != len(space):
                    raise SpecError(
                        f"table key {key!r} has {len(values)} value(s); a key is a state dict "
                        f"or a tuple of {len(space)} values in the order {list(space.names)}"
                    )
                state = dict(zip(space.names, values, strict=True))
            s = space.check_state(state)
            self.table[tuple(s[n] for n in space.names)] = self._action(action)
        self.default = None if default is None else self._action(default)

    def _action(self, action: object) -> Action:
        if isinstance(self.actions, Actions):
            if self._labels is not None and not isinstance(action, str):
                return label_at(self._labels, action)
            self.actions.index(str(action))
            return str(action)
        if not isinstance(action, Mapping):
            raise SpecError(f"table action {action!r} must map action variables to values")
        return action_space(self.actions).check_state(action)

    def _state(self, key: tuple[object, ...]) -> State:
        return self.space.check_state(dict(zip(self.space.names, key, strict=True)))

    def act(self, state: Mapping[str, object]) -> Action:
        s = self.state_of(state)
        key = tuple(s[n] for n in self.space.names)
        if key in self.table:
            return self.table[key]
        if self.default is None:
            raise OutsidePolicyError(
                f"state {s} is not in the policy's table and there is no default"
            )
        return self.default

    def known_states(self) -> list[State]:
        """The table's states (a table without a default acts there only)."""
        return [self._state(k) for k in self.table]

    def rule(self) -> sympy.Basic:
        branches = [(_key_condition(self.space, self._state(k)), a) for k, a in self.table.items()]
        return decision_list(
            self.actions, branches, sympy.false if self.default is None else self.default
        )


class LinearPolicy(Policy):
    """Linear scores of the state: ``argmax``/``argmin`` of ``weights @ state + bias`` over
    finite actions (ties go to the first action, as numpy's argmax), or the affine map
    itself for action variables (``mode=None``)."""

    def __init__(
        self,
        space: Space,
        actions: ActionSpace,
        weights: object,
        bias: object = None,
        mode: str | None = "argmax",
    ) -> None:
        super().__init__(space, actions)
        for name, var in space.variables.items():
            if isinstance(var, Choice):
                raise SpecError(f"LinearPolicy cannot weigh the Choice variable {name!r}")
        w = np.asarray(weights, dtype=object)
        rows = (
            len(self.actions.labels)
            if isinstance(self.actions, Actions)
            else len(self.action_names)
        )
        if w.ndim != 2 or w.shape != (rows, len(space)):
            raise SpecError(
                f"weights must have shape ({rows}, {len(space)}) (one row per "
                f"action{'' if self.finite else ' variable'}), got {w.shape}"
            )
        b = np.zeros(rows, dtype=object) if bias is None else np.asarray(bias, dtype=object)
        if b.shape != (rows,):
            raise SpecError(f"bias must have shape ({rows},), got {b.shape}")
        if self.finite and mode not in ("argmax", "argmin"):
            raise SpecError(f"mode={mode!r}: finite actions need 'argmax' or 'argmin'")
        if not self.finite and mode is not None:
            raise SpecError("action variables take the affine output: use mode=None")
        self.weights = [
            [Fraction(exact(x, f"weight [{r}][{c}]")) for c, x in enumerate(row)]
            for r, row in enumerate(w)
        ]
        self.bias = [Fraction(exact(x, f"bias [{r}]")) for r, x in enumerate(b)]
        self.mode = mode
        self._w = np.array(self.weights, dtype=float)
        self._b = np.array(self.bias, dtype=float)

    def scores(self, state: State) -> list[Fraction]:
        xs = [
            Fraction(int(state[n])) if isinstance(state[n], bool) else Fraction(state[n])
            for n in self.space.names
        ]
        return [
            sum((w * x for w, x in zip(row, xs, strict=True)), b)
            for row, b in zip(self.weights, self.bias, strict=True)
        ]

    def act(self, state: Mapping[str, object]) -> Action:
        scores = self.scores(self.state_of(state))
        if isinstance(self.actions, Actions):
            best = max(scores) if self.mode == "argmax" else min(scores)
            return self.actions.labels[scores.index(best)]
        return dict(zip(self.action_names, scores, strict=True))

    def act_batch(self, states: np.ndarray) -> np.ndarray:
        scores = np.asarray(states, dtype=float) @ self._w.T + self._b
        if self.finite:
            pick = np.argmax if self.mode == "argmax" else np.argmin
            return np.asarray(pick(scores, axis=1))
        return np.asarray(scores)

    @property
    def outputs(self) -> dict[str, sympy.Basic] | None:
        """The affine output per action variable (None for finite actions)."""
        if self.finite:
            return None
        return dict(zip(self.action_names, self.score_exprs(), strict=True))

    def score_exprs(self) -> list[sympy.Basic]:
        symbols = [self.space.symbols[n] for n in self.space.names]
        with evaluate(False):
            return [
                sympy.Add(
                    *[
                        sympy.Rational(w.numerator, w.denominator) * x
                        for w, x in zip(row, symbols, strict=True)
                        if w
                    ],
                    sympy.Rational(b.numerator, b.denominator),
                )
                for row, b in zip(self.weights, self.bias, strict=True)
            ]

    def rule(self) -> sympy.Basic:
        exprs = self.score_exprs()
        if not isinstance(self.actions, Actions):
            return decision_list(self.actions, [], dict(zip(self.action_names, exprs, strict=True)))
        better = sympy.Gt if self.mode == "argmax" else sympy.Lt
        as_good = sympy.Ge if self.mode == "argmax" else sympy.Le
        branches = []
        with evaluate(False):
            for i, label in enumerate(self.actions.labels[:-1]):
                cond = sympy.And(
                    *[better(exprs[i], exprs[j]) for j in range(i)],
                    *[as_good(exprs[i], exprs[j]) for j in range(i + 1, len(exprs))],
                )
                branches.append((cond, label))
        return decision_list(self.actions, branches, self.actions.labels[-1])

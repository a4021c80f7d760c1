"""Axis-aligned decision trees (classification or regression), e.g. from scikit-learn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import sympy
from sympy.core.parameters import evaluate

from alignspec.actions import Actions, ActionSpace, action_space
from alignspec.errors import SpecError
from alignspec.policy.base import Action, Policy, class_labels, outcome
from alignspec.space import Choice, Space, State, to_fraction
from alignspec.symbolic.labels import eq


@attrs.frozen
class Leaf:
    """A leaf: an action label, or a dict of action-variable values (regression)."""

    action: Any


@attrs.frozen
class Split:
    """``variable <= threshold`` (``<`` when ``strict``) goes left, otherwise right.

    A Bool variable compares as 0/1, a Choice variable as the index of its label."""

    variable: str
    threshold: Fraction
    left: Node
    right: Node
    strict: bool = False


Node = Leaf | Split


class TreePolicy(Policy):
    """A decision tree over the state variables."""

    def __init__(self, space: Space, actions: ActionSpace, root: Node) -> None:
        super().__init__(space, actions)
        self.root = self._validate(root)

    def _validate(self, node: Node) -> Node:
        if isinstance(node, Leaf):
            outcome(self.actions, node.action)  # raises for a bad label or missing variable
            if isinstance(self.actions, Actions):
                return node
            values = {
                n: to_fraction(node.action[n], f"leaf value of {n!r}") for n in self.action_names
            }
            action_space(self.actions).check_state(values)  # a leaf outside the bounds: error
            return Leaf(values)
        if not isinstance(node, Split):
            raise SpecError(f"tree node {node!r} is neither a Leaf nor a Split")
        if node.variable not in self.space.variables:
            raise SpecError(
                f"tree splits on {node.variable!r}, not a state variable of "
                f"{list(self.space.names)}"
            )
        return attrs.evolve(
            node,
            threshold=to_fraction(node.threshold, f"threshold of the split on {node.variable!r}"),
            left=self._validate(node.left),
            right=self._validate(node.right),
        )

    @property
    def depth(self) -> int:
        def d(n: Node) -> int:
            return 0 if isinstance(n, Leaf) else 1 + max(d(n.left), d(n.right))

        return d(self.root)

    def _number(self, name: str, value: object) -> Fraction:
        """A variable's value as the number splits compare: Bool 0/1, Choice label index."""
        var = self.space.variables[name]
        if isinstance(var, Choice):
            return Fraction(var.index(str(value)))
        return Fraction(int(value)) if isinstance(value, bool) else Fraction(value)  # type: ignore[call-overload]

    def _goes_left(self, node: Split, state: State) -> bool:
        value = self._number(node.variable, state[node.variable])
        return value < node.threshold if node.strict else value <= node.threshold

    def leaf(self, state: State) -> Leaf:
        node = self.root
        while isinstance(node, Split):
            node = node.left if self._goes_left(node, state) else node.right
        return node

    def _test(self, node: Split) -> sympy.Basic:
        """The split's condition over the state variables."""
        x = self.space.symbols[node.variable]
        var = self.space.variables[node.variable]
        t = sympy.Rational(node.threshold.numerator, node.threshold.denominator)
        if isinstance(var, Choice):
            chosen = [
                label
                for i, label in enumerate(var.labels)
                if (i < node.threshold if node.strict else i <= node.threshold)
            ]
            return sympy.Or(*[eq(x, label) for label in chosen])
        return sympy.Lt(x, t) if node.strict else sympy.Le(x, t)

    def path(self, state: Mapping[str, object]) -> sympy.Basic:
        """The conjunction of split outcomes leading to ``state``'s leaf (its leaf region)."""
        s = self.state_of(state)
        node, tests = self.root, []
        with evaluate(False):
            while isinstance(node, Split):
                left = self._goes_left(node, s)
                tests.append(self._test(node) if left else sympy.Not(self._test(node)))
                node = node.left if left else node.right
            return sympy.And(*tests)

    def act(self, state: Mapping[str, object]) -> Action:
        action = self.leaf(self.state_of(state)).action
        return dict(action) if isinstance(action, Mapping) else str(action)

    def rule(self) -> sympy.Basic:
        def build(node: Node) -> sympy.Basic:
            if isinstance(node, Leaf):
                return outcome(self.actions, node.action)
            return sympy.Piecewise(
                (build(node.left), self._test(node)),
                (build(node.right), sympy.true),
                evaluate=False,
            )

        with evaluate(False):
            return build(self.root)

    @classmethod
    def from_arrays(
        cls,
        space: Space,
        actions: ActionSpace,
        children_left: Sequence[int],
        children_right: Sequence[int],
        feature: Sequence[int],
        threshold: Sequence[float],
        leaf_action: Sequence[Any],
        *,
        float32_inputs: bool = False,
    ) -> TreePolicy:
        """Build from scikit-learn style arrays (node 0 is the root, -1 marks a leaf).

        With ``float32_inputs`` the tests follow scikit-learn exactly: it rounds inputs to
        float32 before comparing, so each threshold becomes the exact rational boundary of
        the float32 values at or below it.
        """
        names = space.names

        def node(i: int) -> Node:
            if children_left[i] == -1:
                return Leaf(leaf_action[i])
            t, strict = Fraction(float(threshold[i])), False
            if float32_inputs:
                t, strict = float32_boundary(float(threshold[i]))
            return Split(
                names[feature[i]], t, node(children_left[i]), node(children_right[i]), strict
            )

        return cls(space, actions, node(0))

    @classmethod
    def from_sklearn(
        cls,
        model: Any,
        space: Space,
        actions: ActionSpace,
        *,
        labels: Sequence[str] | None = None,
    ) -> TreePolicy:
        """Wrap a fitted ``DecisionTreeClassifier`` (class labels must be action labels) or
        ``DecisionTreeRegressor`` (one output per action variable), exactly.

        A classifier trained on integer actions 0, 1, 2 (gymnasium's ``Discrete``) takes
        ``labels``: class k acts as ``labels[k]`` (``labels=actions.labels`` for the
        actions' own order); a count that differs from the actions' raises
        :class:`~alignspec.LabelCountError`."""
        tree = getattr(model, "tree_", None)
        if tree is None:
            raise SpecError(f"{type(model).__name__} is not a fitted scikit-learn decision tree")
        if tree.n_features != len(space):
            raise SpecError(
                f"the tree has {tree.n_features} features; the space has "
                f"{len(space)} variables {list(space.names)}"
            )
        values = tree.value
        leaf: list[Any]
        if isinstance(actions, Actions):
            classes = class_labels(list(model.classes_), actions, labels, "tree")
            leaf = [classes[int(np.argmax(v[0]))] for v in values]  # first max, like predict
        else:
            if labels is not None:
                raise SpecError("labels= maps classes to finite Actions; a regressor has none")
            names = actions.names
            leaf = [{n: Fraction(float(v[k][0])) for k, n in enumerate(names)} for v in values]
        return cls.from_arrays(
            space,
            actions,
            tree.children_left,
            tree.children_right,
            tree.feature,
            tree.threshold,
            leaf,
            float32_inputs=True,
        )


def float32_boundary(threshold: float) -> tuple[Fraction, bool]:
    """``float32(x) <= threshold`` holds exactly when ``x <= b`` (or ``x < b`` when the
    flag is set), for the returned rational ``b``: the midpoint between the largest float32
    at or below the threshold and the next float32, rounded ties-to-even."""
    t32 = np.float32(threshold)
    if float(t32) > threshold:
        t32 = np.nextafter(t32, np.float32(-np.inf))
    up = np.nextafter(t32, np.float32(np.inf))
    mid = (Fraction(float(t32)) + Fraction(float(up))) / 2
    ties_go_down = int(np.array(t32).view(np.uint32)) & 1 == 0
    return mid, not ties_go_down

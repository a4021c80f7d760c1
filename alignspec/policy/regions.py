"""Which actions a decision tree may take over an exact affine image of a box.

A tree's leaf regions are polyhedra (conjunctions of threshold tests), so over a set
``{A s0 + c : s0 in box}`` each test's linear form ``a_i . s0 + c_i`` has an exact rational
range: a test is decided when the range lies on one side of its threshold.  The leaves
whose path may hold somewhere on the set are exactly the candidates; nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from alignspec.actions import Actions
from alignspec.errors import SpecError
from alignspec.policy.tree import Leaf, Node, TreePolicy

Interval = tuple[Fraction, Fraction]


def form_range(row: Sequence[Fraction], const: Fraction, box: Sequence[Interval]) -> Interval:
    """The exact range of ``row . x + const`` over the box ``x in box``."""
    lo = hi = const
    for a, (left, right) in zip(row, box, strict=True):
        if a >= 0:
            lo, hi = lo + a * left, hi + a * right
        else:
            lo, hi = lo + a * right, hi + a * left
    return lo, hi


def tree_actions(
    policy: TreePolicy,
    matrix: Sequence[Sequence[Fraction]],
    offset: Sequence[Fraction],
    box: Sequence[Interval],
    radius: Sequence[Fraction] = (),
) -> set[str]:
    """The action labels ``policy`` may choose at some ``A s0 + c`` with ``s0`` in ``box``
    (``A`` = ``matrix``, ``c`` = ``offset``, rows in the order of the policy's state
    variables, which must all be real), each state widened by ``radius`` per variable
    when given (an uncertain model's error).  A superset of the true set only where a leaf's
    path is infeasible as a whole though each of its tests is satisfiable on its own."""
    if not isinstance(policy.actions, Actions):
        raise SpecError("tree_actions needs finite action labels (a classification tree)")
    index = {n: i for i, n in enumerate(policy.space.names)}
    out: set[str] = set()

    def walk(node: Node) -> None:
        if isinstance(node, Leaf):
            out.add(str(node.action))
            return
        i = index[node.variable]
        lo, hi = form_range(matrix[i], offset[i], box)
        if radius:
            lo, hi = lo - radius[i], hi + radius[i]
        t = node.threshold
        # left when x <= t (x < t when strict)
        may_left = lo < t if node.strict else lo <= t
        may_right = hi >= t if node.strict else hi > t
        if may_left:
            walk(node.left)
        if may_right:
            walk(node.right)

    walk(policy.root)
    return out


def tree_act_batch(policy: TreePolicy, x: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """The label indices a classification tree picks on a float batch (rows of states in
    the space's order): a proposal for simulations, never a verdict."""
    if not isinstance(policy.actions, Actions):
        raise SpecError("tree_act_batch needs finite action labels (a classification tree)")
    labels = policy.actions.labels
    out = np.zeros(len(x), dtype=np.int64)
    index = {n: i for i, n in enumerate(policy.space.names)}

    def walk(node: Node, mask: npt.NDArray[np.bool_]) -> None:
        if not mask.any():
            return
        if isinstance(node, Leaf):
            out[mask] = labels.index(str(node.action))
            return
        col = x[:, index[node.variable]]
        t = float(node.threshold)
        left = col < t if node.strict else col <= t
        walk(node.left, mask & left)
        walk(node.right, mask & ~left)

    walk(policy.root, np.ones(len(x), dtype=bool))
    return out

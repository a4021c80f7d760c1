"""Normal forms that keep sympy's logic and arithmetic away from Piecewise.

sympy cannot combine a Piecewise with its logic (``And(Piecewise(...), c)`` raises), and it
rewrites a Piecewise inside the condition of another Piecewise into ITEs through set theory
(which recursed without end on ``indicator(x > 1) > 0``).  So, before anything is built on
a user's expression:

- **conditions** carry no Piecewise at all: a Piecewise of conditions becomes
  ``Or(And(c1, v1), And(~c1, c2, v2), ...)``, and a comparison of terms holding a Piecewise
  becomes the same case split over its branches;
- **numbers** keep their Piecewise, but a branch value that is a condition becomes its 0/1
  indicator (a Bool counts as 0/1 in arithmetic), and every branch condition is a condition
  in normal form.

Both rewrite only where a Piecewise occurs, unevaluated, so meanings never change.
"""

from __future__ import annotations

import sympy
from sympy.core.parameters import evaluate
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from alignspec.space import BoolSymbol


def _boolean(e: sympy.Basic) -> bool:
    return isinstance(e, (sympy.Rel, BooleanFunction, BooleanAtom, BoolSymbol))


def _complete(pw: sympy.Piecewise) -> bool:
    return bool(pw.args) and pw.args[-1].cond == sympy.true


def _first_piecewise(e: sympy.Basic) -> sympy.Piecewise | None:
    for node in sympy.preorder_traversal(e):
        if isinstance(node, sympy.Piecewise) and _complete(node):
            return node
    return None


def _cases(pw: sympy.Piecewise, branch: object) -> sympy.Basic:
    """``Or(And(c1, b1), And(~c1, c2, b2), ...)`` for the branches of ``pw``."""
    cases: list[sympy.Basic] = []
    earlier: list[sympy.Basic] = []
    with evaluate(False):
        for value, cond in pw.args:
            c = as_condition(cond)
            cases.append(sympy.And(*earlier, c, branch(value)))  # type: ignore[operator]
            earlier.append(sympy.Not(c))
        return sympy.Or(*cases)


def as_condition(e: sympy.Basic) -> sympy.Basic:
    """``e`` (a condition) in normal form: no Piecewise inside."""
    if not isinstance(e, sympy.Basic) or not e.has(sympy.Piecewise):
        return e
    if isinstance(e, sympy.Piecewise):
        if _complete(e) and all(_boolean(v) for v, _ in e.args):
            return _cases(e, as_condition)
        return e  # partial, or not a condition: validation reports it
    if isinstance(e, sympy.Rel):
        pw = _first_piecewise(e)
        if pw is None:
            return e
        with evaluate(False):
            return _cases(pw, lambda value: as_condition(e.xreplace({pw: value})))
    if isinstance(e, BooleanFunction):
        with evaluate(False):
            return e.func(*[as_condition(a) for a in e.args])
    return e


def as_number(e: sympy.Basic) -> sympy.Basic:
    """``e`` (a number) in normal form: condition-valued branches as 0/1 indicators and
    branch conditions in normal form."""
    if not isinstance(e, sympy.Basic) or not e.has(sympy.Piecewise):
        return e
    if isinstance(e, sympy.Piecewise):
        pairs = []
        for value, cond in e.args:
            v = _indicator(value) if _boolean(value) else as_number(value)
            pairs.append((v, as_condition(cond)))
        with evaluate(False):
            return sympy.Piecewise(*pairs, evaluate=False)
    if _boolean(e):
        return as_condition(e)
    with evaluate(False):
        return e.func(*[as_number(a) for a in e.args])


def _indicator(cond: sympy.Basic) -> sympy.Basic:
    with evaluate(False):
        return sympy.Piecewise((1, as_condition(cond)), (0, sympy.true), evaluate=False)

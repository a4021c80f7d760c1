"""Piecewise expressions that lost their otherwise branch to sympy.

sympy drops an inner Piecewise's otherwise branch when the enclosing conditions decide it:
``Piecewise((Piecewise((1, Eq(c, "q")), (2, Eq(c, "p")), (3, True)), Eq(c, "p")), (5, True))``
is stored as ``Piecewise((Piecewise((1, Eq(c, q)), (2, Eq(c, p))), Eq(c, p)), (5, True))``.
That expression is defined on every state, yet looks exactly like one whose branches leave
states uncovered (sympy's value there is ``nan``).  z3 tells the two apart: the states
where some Piecewise has no branch that holds, along the branches that reach it, form a
condition; when it is unsatisfiable over the space, each incomplete Piecewise's last branch
becomes its otherwise branch (no reachable state sees the difference); when a state
satisfies it, that state is named in the error.
"""

from __future__ import annotations

import sympy
from sympy.core.parameters import evaluate

from alignspec.errors import SpecError, UnsupportedExpressionError
from alignspec.space import Choice, Space

#: z3's budget for the coverage question (deterministic; it is asked at construction).
RLIMIT = 5_000_000


def _incomplete(node: sympy.Basic) -> bool:
    return isinstance(node, sympy.Piecewise) and node.args[-1].cond != sympy.true


def undefined(e: sympy.Basic) -> sympy.Basic:
    """A condition true exactly on the states where ``e`` has no value (some Piecewise
    reached on the way to its value has no branch that holds)."""
    if not isinstance(e, sympy.Basic) or not e.has(sympy.Piecewise):
        return sympy.false
    with evaluate(False):
        if isinstance(e, sympy.Piecewise):
            cases: list[sympy.Basic] = []
            before: list[sympy.Basic] = []
            for pair in e.args:
                cases.append(sympy.And(*before, undefined(pair.cond)))
                cases.append(sympy.And(*before, pair.cond, undefined(pair.expr)))
                before.append(sympy.Not(pair.cond))
            if _incomplete(e):
                cases.append(sympy.And(*before))
            return sympy.Or(*cases)
        return sympy.Or(*(undefined(a) for a in e.args))


def _close(e: sympy.Basic) -> sympy.Basic:
    """``e`` with each incomplete Piecewise's last branch made its otherwise branch
    (innermost first, so closed nodes nest)."""
    mapping: dict[sympy.Basic, sympy.Basic] = {}
    for node in sympy.postorder_traversal(e):
        if _incomplete(node) and node not in mapping:
            inner = node.xreplace(mapping) if mapping else node
            pairs = [(p.expr, p.cond) for p in inner.args]
            pairs[-1] = (pairs[-1][0], sympy.true)
            mapping[node] = sympy.Piecewise(*pairs, evaluate=False)
    return e.xreplace(mapping)


def complete(e: sympy.Basic, space: Space) -> sympy.Basic:
    """``e`` with every Piecewise given an otherwise branch, when z3 proves no state of
    ``space`` reaches one with no branch holding; raises UnsupportedExpressionError (naming
    such a state, when there is one) otherwise.  Unchanged when nothing is incomplete."""
    if not any(_incomplete(n) for n in sympy.preorder_traversal(e)):
        return e
    labels = {lab for v in space.variables.values() if isinstance(v, Choice) for lab in v.labels}
    if any(s.name not in space.symbols and s.name not in labels for s in e.free_symbols):
        return e  # unknown names: validation reports them
    from alignspec.solver import Budget, Problem, solve
    from alignspec.symbolic.normal import as_condition
    from alignspec.symbolic.rename import at

    advice = "add an otherwise branch (value, True)"
    try:
        hole = at(as_condition(undefined(e)), space, "s")
        outcome = solve(Problem({"s": space}, (("undefined", hole),)), Budget(rlimit=RLIMIT))
    except SpecError as err:
        raise UnsupportedExpressionError(
            f"`{e}` has a Piecewise with no otherwise branch whose coverage cannot be checked "
            f"({err}); {advice}"
        ) from None
    if outcome.status == "unsat":
        return _close(e)
    if outcome.status == "sat" and outcome.states is not None:
        raise UnsupportedExpressionError(
            f"`{e}` is undefined at {outcome.states['s']}: a Piecewise reached there has no "
            f"branch that holds; {advice}"
        )
    raise UnsupportedExpressionError(
        f"`{e}` has a Piecewise with no otherwise branch, and z3 could not decide whether "
        f"its branches cover every state ({outcome.reason}); {advice}"
    )

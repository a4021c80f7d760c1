"""Signatures of the known bugs (issue 8's list).  All are fixed: a hit fails as a
regression, labelled with its letter (harness.OPEN lists bugs to tally instead).  Each
predicate inspects the *input*, never the library's answer, and is narrow: a discrepancy
is attributed to a known bug only when the input has the bug's ingredient and the
discrepancy has the bug's kind.

(a) MLPPolicy mode=None, continuous actions, output outside the bounds: wrong PROVED
    (verify / oversight / optimality)
(b) outer.requirements, a strict requirement whose compliant optimum is a supremum not
    attained: wrong PROVED
(c) ExprPolicy decision list with sympy.Eq(bool_var, 0/1) conditions: wrong PROVED
(d) hypothesis st.fractions crash on Real bounds with large denominators (sampling)
(e) TablePolicy without default crashes in the sampling fallback
(f) per_action values containing Piecewise crash
(g) a Piecewise used as a requirement (a condition) crashes

Found by this harness (see the issue 8 report), tallied the same way:
(N1) a numeric Piecewise whose values are all Bool variables (e.g. per_action({"a": b,
     "c": b}) or Piecewise((b0, x > 1), (b1, True)) as a reward): untyped TypeError
(N2) an ExprPolicy condition containing a Piecewise (e.g. al.indicator(x > 0) > 0):
     RecursionError / ZeroDivisionError building the decision list, or an
     UnsupportedExpressionError about dividing by the "non-constant" 1**1
(N3) epic(exact=False) with a constant canonicalised reward returns distance 0.0 and rho
     nan (the exact path raises a SpecError)
(N4) a nested Piecewise whose inner otherwise branch sympy drops (the outer condition
     decides the inner one): refused with "has no final (value, True) branch", a typed
     error on a valid input (what remains of (f) outside per_action)
(N5) mdp.forbidden searches from every listed initial state, including those of
     probability 0: VIOLATED for a state no policy reaches
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

import alignspec as al

from .generators import PolicyCase
from .oracles import escape_state


def _walk(e: Any):  # type: ignore[no-untyped-def]
    if isinstance(e, sp.Basic):
        yield e
        for a in e.args:
            yield from _walk(a)


def bool_eq_condition(pol: PolicyCase | None) -> bool:
    """(c): a decision-list condition compares a Bool variable with a number."""
    if pol is None or pol.kind != "expr" or not pol.finite:
        return False
    bools = {n for n, v in pol.space.variables.items() if isinstance(v, al.Bool)}
    for cond, _ in pol.desc["branches"]:
        for node in _walk(cond):
            if isinstance(node, (sp.Eq, sp.Ne)) and any(
                isinstance(a, sp.Symbol) and a.name in bools for a in node.args
            ):
                return True
    return False


def mlp_escapes(pol: PolicyCase | None, region: Any) -> bool:
    """(a): an affine-output network whose output leaves the action bounds in the region."""
    if pol is None or pol.kind != "mlp" or pol.finite:
        return False
    return escape_state(pol, region) is not None


def table_without_default(pol: PolicyCase | None) -> bool:
    """(e)"""
    if pol is None:
        return False
    kind = pol.desc.get("inner_kind", pol.kind)
    return kind == "table" and pol.desc.get("default") is None


def per_action_piecewise(*exprs: Any) -> bool:
    """(f): a per_action objective (Piecewise over action labels) whose values hold a
    Piecewise."""
    for e in exprs:
        for node in _walk(e):
            if (
                isinstance(node, sp.Piecewise)
                and any(isinstance(v, sp.Basic) and v.has(sp.Piecewise) for v, _ in node.args)
                and any(
                    isinstance(c, sp.Eq)
                    and any(getattr(a, "name", None) in ACTION_NAMES for a in c.args)
                    for _, c in node.args
                )
            ):
                return True
    return False


ACTION_NAMES = ("action", "act")


def piecewise_condition(*conds: Any) -> bool:
    """(g): a condition that is (or holds) a Piecewise of conditions."""
    for c in conds:
        for node in _walk(c):
            if isinstance(node, sp.Piecewise) and any(
                isinstance(v, (sp.logic.boolalg.Boolean, sp.core.relational.Relational))
                for v, _ in node.args
            ):
                return True
    return False


def big_denominators(*spaces: al.Space | None) -> bool:
    """(d)"""
    for space in spaces:
        if space is None:
            continue
        for var in space.variables.values():
            if (
                isinstance(var, al.Real)
                and max(Fraction(var.lo).denominator, Fraction(var.hi).denominator) > 64
            ):
                return True
    return False


def strict_requirement_with_reals(domain: dict[str, Any], require: list[Any]) -> bool:
    """(b): a Real variable and a strict comparison (or a negated weak one) in a
    requirement."""
    if not any(isinstance(v, al.Real) for v in domain.values()):
        return False
    for r in require:
        for node in _walk(r):
            if isinstance(node, (sp.StrictLessThan, sp.StrictGreaterThan, sp.Ne, sp.Not, sp.Xor)):
                return True
    return False


def bool_valued_piecewise(*exprs: Any) -> bool:
    """(N1): a Piecewise in a number position whose values are all Bool variables."""
    for e in exprs:
        for node in _walk(e):
            if isinstance(node, sp.Piecewise) and all(
                isinstance(v, sp.Symbol) and not v.is_real and v.is_integer is not True
                for v, _ in node.args
            ):
                return True
    return False


def piecewise_in_policy_condition(pol: PolicyCase | None) -> bool:
    """(N2)"""
    if pol is None or pol.desc.get("inner_kind", pol.kind) != "expr" or not pol.finite:
        return False
    if pol.kind in ("callable", "extract"):
        return False  # black boxes are never encoded
    return any(isinstance(c, sp.Basic) and c.has(sp.Piecewise) for c, _ in pol.desc["branches"])


def exception_signature(
    err: BaseException | None,
    *,
    pol: PolicyCase | None = None,
    exprs: tuple[Any, ...] = (),
    conds: tuple[Any, ...] = (),
    spaces: tuple[al.Space | None, ...] = (),
) -> str | None:
    """Which known bug an exception on a valid input belongs to, if any."""
    text = f"{type(err).__name__}: {err}"
    if "replay failed" in text and bool_eq_condition(pol):
        return "(c) ExprPolicy with Eq(bool, 0/1) conditions"
    if big_denominators(*spaces) and "denominator" in text:
        return "(d) st.fractions on large-denominator Real bounds"
    if table_without_default(pol) and (
        "not in the policy's table" in text or "OutsidePolicy" in text
    ):
        return "(e) TablePolicy without default in the sampling fallback"
    if piecewise_condition(*conds) and isinstance(err, TypeError) and "Piecewise" in text:
        return "(g) Piecewise used as a condition"
    if per_action_piecewise(*exprs) and (
        not isinstance(err, al.SpecError) or "no final (value, True) branch" in text
    ):
        return "(f) per_action values containing Piecewise"
    if "no final (value, True) branch" in text:
        return "(N4) sympy drops a nested Piecewise's otherwise branch"
    if bool_valued_piecewise(*exprs) and isinstance(err, TypeError):
        return "(N1) numeric Piecewise whose values are all Bool variables"
    if piecewise_in_policy_condition(pol) and (
        not isinstance(err, al.SpecError) or "divides by the non-constant" in text
    ):
        return "(N2) ExprPolicy condition containing a Piecewise"
    return None

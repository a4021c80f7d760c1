"""A tie-breaker for Real domains: the harness's own (independent) z3 encoding of the
spec language, used only where a grid cannot decide (is a supremum attained?)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy as sp
import z3
from sympy.logic.boolalg import BooleanFalse, BooleanTrue

import alignspec as al


class Encoder:
    def __init__(self, domain: Mapping[str, Any]) -> None:
        self.domain = dict(domain)
        self.consts: dict[str, Any] = {}
        self.bounds = []
        for name, var in self.domain.items():
            if isinstance(var, al.Real):
                c = z3.Real(name)
                self.bounds += [c >= _q(var.lo), c <= _q(var.hi)]
            elif isinstance(var, al.Int):
                c = z3.Int(name)
                self.bounds += [c >= var.lo, c <= var.hi]
            elif isinstance(var, al.Bool):
                c = z3.Bool(name)
            else:
                c = z3.Int(name)
                self.bounds += [c >= 0, c < len(var.labels)]
            self.consts[name] = c

    def num(self, e: Any) -> Any:
        if isinstance(e, (int, Fraction)):
            return _q(Fraction(e))
        if isinstance(e, sp.Integer):
            return z3.RealVal(int(e))
        if isinstance(e, sp.Rational):
            return z3.RealVal(int(e.p)) / z3.RealVal(int(e.q))
        if isinstance(e, sp.Float):
            return _q(Fraction(float(e)))
        if isinstance(e, sp.Symbol):
            var = self.domain[e.name]
            c = self.consts[e.name]
            if isinstance(var, al.Bool):
                return z3.If(c, z3.RealVal(1), z3.RealVal(0))
            return z3.ToReal(c) if isinstance(var, al.Int) else c
        a = e.args
        if isinstance(e, sp.Add):
            return z3.Sum([self.num(x) for x in a])
        if isinstance(e, sp.Mul):
            out = self.num(a[0])
            for x in a[1:]:
                out = out * self.num(x)
            return out
        if isinstance(e, sp.Pow):
            base = self.num(a[0])
            out = z3.RealVal(1)
            for _ in range(int(a[1])):
                out = out * base
            return out
        if isinstance(e, sp.Abs):
            x = self.num(a[0])
            return z3.If(x >= 0, x, -x)
        if isinstance(e, (sp.Min, sp.Max)):
            out = self.num(a[0])
            for x in a[1:]:
                y = self.num(x)
                out = z3.If(y < out, y, out) if isinstance(e, sp.Min) else z3.If(y > out, y, out)
            return out
        if isinstance(e, sp.Piecewise):
            *init, (last, _) = a
            out = self.num(last)
            for val, cond in reversed(init):
                out = z3.If(self.cond(cond), self.num(val), out)
            return out
        raise NotImplementedError(type(e).__name__)

    def _side(self, e: Any) -> Any:
        if isinstance(e, sp.Symbol) and e.name not in self.domain:
            return ("label", e.name)
        if isinstance(e, sp.Symbol) and isinstance(self.domain[e.name], al.Choice):
            return ("choice", e.name)
        return ("num", self.num(e))

    def cond(self, e: Any) -> Any:
        if isinstance(e, (bool, BooleanTrue, BooleanFalse)):
            return z3.BoolVal(bool(e))
        if isinstance(e, sp.Symbol):
            return self.consts[e.name]
        a = e.args
        if isinstance(e, (sp.Eq, sp.Ne)):
            lhs, rhs = self._side(a[0]), self._side(a[1])
            if lhs[0] == "label" or rhs[0] == "label":
                ch, lab = (lhs, rhs) if lhs[0] == "choice" else (rhs, lhs)
                labels = self.domain[ch[1]].labels
                same = self.consts[ch[1]] == labels.index(lab[1])
            else:
                same = lhs[1] == rhs[1]
            return same if isinstance(e, sp.Eq) else z3.Not(same)
        ops = {
            sp.StrictLessThan: lambda x, y: x < y,
            sp.LessThan: lambda x, y: x <= y,
            sp.StrictGreaterThan: lambda x, y: x > y,
            sp.GreaterThan: lambda x, y: x >= y,
        }
        for cls, op in ops.items():
            if isinstance(e, cls):
                return op(self.num(a[0]), self.num(a[1]))
        if isinstance(e, sp.And):
            return z3.And([self.cond(x) for x in a])
        if isinstance(e, sp.Or):
            return z3.Or([self.cond(x) for x in a])
        if isinstance(e, sp.Not):
            return z3.Not(self.cond(a[0]))
        if isinstance(e, sp.Implies):
            return z3.Implies(self.cond(a[0]), self.cond(a[1]))
        if isinstance(e, sp.Xor):
            out = self.cond(a[0])
            for x in a[1:]:
                out = z3.Xor(out, self.cond(x))
            return out
        if isinstance(e, sp.Equivalent):
            xs = [self.cond(x) for x in a]
            return z3.Or(z3.And(xs), z3.And([z3.Not(x) for x in xs]))
        if isinstance(e, sp.ITE):
            return z3.If(self.cond(a[0]), self.cond(a[1]), self.cond(a[2]))
        if isinstance(e, sp.Piecewise):
            *init, (last, _) = a
            out = self.cond(last)
            for val, c in reversed(init):
                out = z3.If(self.cond(c), self.cond(val), out)
            return out
        raise NotImplementedError(type(e).__name__)


def _q(f: Fraction) -> Any:
    return z3.RealVal(f.numerator) / z3.RealVal(f.denominator)


def exists(
    domain: Mapping[str, Any], conds: list[Any], nums: list[tuple[Any, str, Fraction]] = ()
) -> bool | None:
    """Is there a state satisfying ``conds`` and each ``(expr, op, value)``? None: unknown."""
    enc = Encoder(domain)
    s = z3.Solver()
    s.set("rlimit", 50_000_000)
    s.add(*enc.bounds)
    for c in conds:
        s.add(enc.cond(c))
    for e, op, v in nums:
        x = enc.num(e)
        s.add({">=": x >= _q(v), ">": x > _q(v), "==": x == _q(v), "<=": x <= _q(v)}[op])
    r = s.check()
    return None if r == z3.unknown else r == z3.sat

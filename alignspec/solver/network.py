"""ReLU networks in z3: stable neurons stay linear, unstable ones get a case split.

For an unstable neuron (pre-activation bounds l < 0 < u) the output h = max(0, z) is
encoded as ``h >= 0, h >= z, Or(h <= 0, h <= z)`` plus the redundant triangle cut
``h * (u - l) <= u * (z - l)``, which is what made such queries tractable here.  The
bounds must be sound over the query's inputs; they come as exact rationals.

The network is written as SMT-LIB text and parsed by z3 in one call: building tens of
thousands of terms through z3's Python API took seconds per query, the parser milliseconds.
Active neurons are ``define-fun`` macros (shared, never copied), inactive ones the constant
0, unstable ones fresh variables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import z3

from alignspec.symbolic.network import NetworkLink
from alignspec.symbolic.rename import qualified


def numeral(x: Fraction) -> str:
    """An exact SMT-LIB real numeral."""
    text = (
        f"{abs(x.numerator)}.0"
        if x.denominator == 1
        else (f"(/ {abs(x.numerator)}.0 {x.denominator}.0)")
    )
    return f"(- {text})" if x < 0 else text


def _quote(name: str) -> str:
    return f"|{name}|"


def _affine(row: Sequence[Fraction], bias: Fraction, terms: Sequence[str]) -> str:
    parts = [f"(* {numeral(w)} {t})" for w, t in zip(row, terms, strict=True) if w and t != "0.0"]
    if bias or not parts:
        parts.append(numeral(bias))
    return parts[0] if len(parts) == 1 else f"(+ {' '.join(parts)})"


def encode_network(
    link: NetworkLink, consts: Mapping[str, z3.ExprRef]
) -> list[tuple[str, z3.BoolRef]]:
    role = link.role
    decls: dict[str, z3.ExprRef] = {}
    lines: list[str] = []
    terms = []
    for name in link.inputs:
        key = qualified(role, name)
        c = consts[key]
        decls[key] = c
        terms.append(f"(ite {_quote(key)} 1.0 0.0)" if z3.is_bool(c) else _quote(key))
    last = len(link.network.layers) - 1
    scores: list[str] = []
    for li, layer in enumerate(link.network.layers):
        pre = [_affine(row, b, terms) for row, b in zip(layer.weights, layer.bias, strict=True)]
        if li == last:
            scores = pre
            break
        terms = []
        for j, z in enumerate(pre):
            lo, hi = link.bounds[li][j]
            name = _quote(f"{role}.relu{li}_{j}")
            if hi <= 0:
                terms.append("0.0")
            elif lo >= 0:
                lines.append(f"(define-fun {name} () Real {z})")
                terms.append(name)
            else:
                zname = _quote(f"{role}.pre{li}_{j}")
                lines.append(f"(define-fun {zname} () Real {z})")
                lines.append(f"(declare-fun {name} () Real)")
                lines.append(f"(assert (>= {name} 0.0))")
                lines.append(f"(assert (>= {name} {zname}))")
                lines.append(f"(assert (or (<= {name} 0.0) (<= {name} {zname})))")
                width, top, low = numeral(hi - lo), numeral(hi), numeral(lo)
                cut = f"(<= (* {width} {name}) (* {top} (- {zname} {low})))"
                lines.append(f"(assert {cut})")
                terms.append(name)
    if link.mode == "affine":
        for name, score in zip(link.outputs, scores, strict=True):
            key = qualified(role, name)
            decls[key] = consts[key]
            lines.append(f"(assert (= {_quote(key)} {score}))")
    else:
        assert link.action is not None
        key = qualified(role, link.action)
        decls[key] = consts[key]
        names = []
        for i, s in enumerate(scores):
            n = _quote(f"{role}.score{i}")
            lines.append(f"(define-fun {n} () Real {s})")
            names.append(n)
        for i, si in enumerate(names):
            if link.mode == "argmax":
                wins = [f"(> {si} {sj})" for sj in names[:i]]
                wins += [f"(>= {si} {sj})" for sj in names[i + 1 :]]
            else:
                wins = [f"(< {si} {sj})" for sj in names[:i]]
                wins += [f"(<= {si} {sj})" for sj in names[i + 1 :]]
            chosen = wins[0] if len(wins) == 1 else f"(and {' '.join(wins)})" if wins else "true"
            lines.append(f"(assert (= (= {_quote(key)} {i}) {chosen}))")
    parsed = z3.parse_smt2_string("\n".join(lines), decls=decls)
    return [(f"{role}: network", a) for a in parsed]

"""Library overhead of outer.inversion against a hand-written z3 script asking the same question.

Run by hand:  .venv/bin/python bench/outer.py [--reps N]
For linear specs with 5, 20 and 80 variables (one aligned, UNSAT; one misaligned, SAT) it
prints the median wall time of each and the ratio library / hand-written.  The hand-written
script builds the same query with the z3 Python API and, when SAT, reads the two states out
of the model; the library also translates from sympy, replays the witness exactly and
evaluates reward and utility at it.
Target: ratio <= 1.3 at 80 variables.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from fractions import Fraction

import sympy as sp
import z3

import alignspec as al


def make(
    n: int, aligned: bool, seed: int = 0
) -> tuple[list[Fraction], list[Fraction], list[Fraction]]:
    rng = random.Random(seed + n)
    util = [Fraction(rng.randint(1, 9)) for _ in range(n)]
    if aligned:
        reward = [2 * u for u in util]
    else:
        reward = [u + Fraction(rng.randint(-3, 3), 2) for u in util]
    budget_w = [Fraction(rng.randint(1, 4)) for _ in range(n)]
    return util, reward, budget_w


def library(n: int, aligned: bool) -> tuple[float, al.Verdict]:
    util, reward, weights = make(n, aligned)
    space = al.Space(**{f"x{i}": al.Real(0, 10) for i in range(n)})
    xs = list(space.vars)
    spec = al.Spec(
        space=space,
        intent=al.Intent(sp.Add(*[u * x for u, x in zip(util, xs, strict=True)])),
        reward=al.Reward(sp.Add(*[r * x for r, x in zip(reward, xs, strict=True)]) + 1),
        assume=[sp.Add(*[w * x for w, x in zip(weights, xs, strict=True)]) <= 5 * n],
    )
    start = time.perf_counter()
    finding = al.outer.inversion(spec, samples=0)
    return time.perf_counter() - start, finding.verdict


def hand_written(n: int, aligned: bool) -> tuple[float, str]:
    util, reward, weights = make(n, aligned)
    start = time.perf_counter()
    s = z3.Solver()
    s.set("rlimit", al.solver.DEFAULT_RLIMIT)
    copies = []
    for tag in ("a", "b"):
        xs = [z3.Real(f"{tag}{i}") for i in range(n)]
        for x in xs:
            s.add(x >= 0, x <= 10)
        s.add(z3.Sum([z3.RealVal(w) * x for w, x in zip(weights, xs, strict=True)]) <= 5 * n)
        copies.append(xs)
    (a, b) = copies

    def lin(coefs: list[Fraction], xs: list[z3.ArithRef]) -> z3.ArithRef:
        return z3.Sum(
            [z3.Q(c.numerator, c.denominator) * x for c, x in zip(coefs, xs, strict=True)]
        )

    s.add(lin(reward, a) + 1 > lin(reward, b) + 1, lin(util, a) < lin(util, b))
    answer = s.check()
    if answer == z3.sat:  # a usable answer names the two states
        model = s.model()
        [model.eval(x, model_completion=True).as_fraction() for x in a + b]
    return time.perf_counter() - start, str(answer)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    print(f"{'vars':>5} {'case':>10} {'library s':>10} {'z3 script s':>12} {'ratio':>6}  verdict")
    for n in (5, 20, 80):
        for aligned in (True, False):
            lib = [library(n, aligned) for _ in range(args.reps)]
            raw = [hand_written(n, aligned) for _ in range(args.reps)]
            lt = statistics.median(t for t, _ in lib)
            rt = statistics.median(t for t, _ in raw)
            case = "aligned" if aligned else "misaligned"
            print(
                f"{n:>5} {case:>10} {lt:>10.4f} {rt:>12.4f} {lt / rt:>6.2f}  "
                f"{lib[0][1]} / {raw[0][1]}"
            )


if __name__ == "__main__":
    main()

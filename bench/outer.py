"""Outer-check timings (issue 11): library overhead end to end, and the moderation spec.

Run by hand:  .venv/bin/python bench/outer.py [--sizes 5 20 80 200 800] [--reps N]
                                              [--skip-linear] [--skip-moderation]
              .venv/bin/python bench/outer.py --profile spec800|hacking

Part 1, linear specs (n Real variables in [0, 10], random integer coefficients, fixed
seed; one aligned, UNSAT; one misaligned, SAT).  The same question is asked two ways: by
the library (Space + sympy expressions + Spec, then ``outer.inversion(spec, samples=0)``)
and by a hand-written z3 script that builds the query from scratch (two copies of the
variables, bounds, the budget constraint, reward(s1) > reward(s2) and utility(s1) <
utility(s2)) and, when SAT, reads the two states out of the model.  The library also
translates from sympy, checks the assumptions are satisfiable at construction, replays the
witness exactly and evaluates reward and utility at it.  Every rep starts with a cleared
sympy cache (as a fresh process would), unless --warm-cache, and a gc.collect().

* Table "check only" is the original one: median time of ``inversion`` alone against the
  whole hand-written script.  Target: ratio <= 1.3 at 80 variables.
* Table "end to end" splits both sides into construction and check.  Library
  construction = Space + sympy expressions + Spec; z3 construction = variables, bounds
  and constraints added to a Solver; check = ``inversion`` / ``s.check()`` + model read.
  Targets: end-to-end ratio <= 1.5 at 80 variables and <= 2 at 800.

Part 2, the moderation spec (toxicity Real[0,1], reports Int[0,20], flagged and verified
Bool; actions allow/warn/remove; a piecewise-linear quality objective per action; the
requirement toxicity >= 0.8 -> remove; an engagement-like reward).  Each outer check is
timed with Budget(timeout=120); target: every check under 1 s.  The same for two
mixed-integer specs (``mixed_spec``: 6 Int in [0, 50] and 12 Int in [0, 1000], with 3 Bool,
3 Real, 4 actions, piecewise quality), where z3's optimiser alone ran out of budget.  Then
goodhart_curve on a 3-Real nonlinear spec (reward x*y + z, utility x - y*z on [0,1]^3),
Budget(timeout=150).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import random
import statistics
import time
from collections.abc import Callable
from fractions import Fraction
from functools import partial

import sympy as sp
import z3
from sympy.core.cache import clear_cache

import alignspec as al

SIZES = (5, 20, 80, 200, 800)
E2E_TARGETS = {80: 1.5, 800: 2.0}
CHECK_TARGETS = {80: 1.3}
MODERATION_TIMEOUT = 120
NONLINEAR_TIMEOUT = 150
MODERATION_TARGET = 1.0  # seconds per check


# --- part 1: linear specs ---------------------------------------------------------------------
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


def build_spec(n: int, aligned: bool) -> tuple[al.Spec, dict[str, float]]:
    """The linear spec, with the time of each construction step (space, exprs, spec)."""
    util, reward, weights = make(n, aligned)
    t0 = time.perf_counter()
    space = al.Space(**{f"x{i}": al.Real(0, 10) for i in range(n)})
    xs = list(space.vars)
    t1 = time.perf_counter()
    intent = sp.Add(*[u * x for u, x in zip(util, xs, strict=True)])
    rew = sp.Add(*[r * x for r, x in zip(reward, xs, strict=True)]) + 1
    assume = [sp.Add(*[w * x for w, x in zip(weights, xs, strict=True)]) <= 5 * n]
    t2 = time.perf_counter()
    spec = al.Spec(space=space, intent=al.Intent(intent), reward=al.Reward(rew), assume=assume)
    t3 = time.perf_counter()
    return spec, {"space": t1 - t0, "exprs": t2 - t1, "spec": t3 - t2}


def library(n: int, aligned: bool) -> tuple[dict[str, float], al.Verdict]:
    spec, times = build_spec(n, aligned)
    start = time.perf_counter()
    finding = al.outer.inversion(spec, samples=0)
    times["check"] = time.perf_counter() - start
    times["build"] = times["space"] + times["exprs"] + times["spec"]
    times["total"] = times["build"] + times["check"]
    return times, finding.verdict


def hand_written(n: int, aligned: bool) -> tuple[dict[str, float], str]:
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
    built = time.perf_counter()
    answer = s.check()
    if answer == z3.sat:  # a usable answer names the two states
        model = s.model()
        [model.eval(x, model_completion=True).as_fraction() for x in a + b]
    done = time.perf_counter()
    times = {"build": built - start, "check": done - built, "total": done - start}
    return times, str(answer)


STAT: Callable[[list[float]], float] = statistics.median


def _med(runs: list[dict[str, float]], key: str) -> float:
    return STAT([r[key] for r in runs])


def _target(n: int, ratio: float, targets: dict[int, float]) -> str:
    if n not in targets:
        return ""
    return f"  {'ok' if ratio <= targets[n] else 'MISS'} (<= {targets[n]})"


def linear(sizes: list[int], reps: int, warm_cache: bool) -> None:
    rows = []
    for n in sizes:
        for aligned in (True, False):
            lib, raw = [], []
            for _ in range(reps):
                if not warm_cache:
                    clear_cache()
                gc.collect()
                lib.append(library(n, aligned))
                gc.collect()
                raw.append(hand_written(n, aligned))
            rows.append((n, "aligned" if aligned else "misaligned", lib, raw))

    print(f"check only: outer.inversion vs the whole hand-written z3 script ({STAT.__name__} s)")
    print(f"{'vars':>5} {'case':>10} {'library s':>10} {'z3 script s':>12} {'ratio':>6}  verdict")
    for n, case, lib, raw in rows:
        lt = _med([t for t, _ in lib], "check")
        rt = _med([t for t, _ in raw], "total")
        print(
            f"{n:>5} {case:>10} {lt:>10.4f} {rt:>12.4f} {lt / rt:>6.2f}  "
            f"{lib[0][1]} / {raw[0][1]}{_target(n, lt / rt, CHECK_TARGETS)}"
        )

    print()
    print(
        "end to end: library (Space + exprs + Spec + inversion) vs hand-written z3 "
        f"({STAT.__name__} s)"
    )
    head = (
        f"{'vars':>5} {'case':>10} | {'space':>7} {'exprs':>7} {'spec':>7} {'check':>7} "
        f"{'total':>7} | {'z3 build':>8} {'z3 check':>8} {'z3 total':>8} | "
        f"{'build x':>7} {'check x':>7} {'total x':>7}"
    )
    print(head)
    print("-" * len(head))
    for n, case, lib, raw in rows:
        lt = [t for t, _ in lib]
        rt = [t for t, _ in raw]
        m = {k: _med(lt, k) for k in ("space", "exprs", "spec", "build", "check", "total")}
        z = {k: _med(rt, k) for k in ("build", "check", "total")}
        print(
            f"{n:>5} {case:>10} | {m['space']:>7.4f} {m['exprs']:>7.4f} {m['spec']:>7.4f} "
            f"{m['check']:>7.4f} {m['total']:>7.4f} | {z['build']:>8.4f} {z['check']:>8.4f} "
            f"{z['total']:>8.4f} | {m['build'] / z['build']:>7.2f} "
            f"{m['check'] / z['check']:>7.2f} {m['total'] / z['total']:>7.2f}"
            f"{_target(n, m['total'] / z['total'], E2E_TARGETS)}"
        )
    print(
        "(build = space + exprs + spec; 'x' columns are library / hand-written; exprs is sympy "
        "building the three linear sums, spec includes the satisfiability check of assume)"
    )


# --- part 2: the moderation spec and a nonlinear goodhart curve -------------------------------
def moderation_spec() -> al.Spec:
    R = sp.Rational
    space = al.Space(
        toxicity=al.Real(0, 1), reports=al.Int(0, 20), flagged=al.Bool(), verified=al.Bool()
    )
    v = space.vars
    acts = al.Actions("allow", "warn", "remove")
    flagged, verified = al.indicator(v.flagged), al.indicator(v.verified)
    # cost of reports: 0.1 each up to 5, then 0.3 each
    report_cost = sp.Piecewise(
        (R(1, 10) * v.reports, v.reports <= 5),
        (R(1, 2) + R(3, 10) * (v.reports - 5), True),
        evaluate=False,
    )
    quality = acts.per_action(
        {
            "allow": 1 - 2 * v.toxicity + R(1, 2) * verified - report_cost,
            "warn": R(1, 2) - R(1, 2) * v.toxicity + R(1, 5) * flagged - R(1, 2) * report_cost,
            "remove": 2 * v.toxicity - R(1, 2) + R(3, 10) * flagged - R(1, 2) * verified,
        }
    )
    engagement = acts.per_action(
        {
            "allow": 1 + R(1, 20) * v.reports + R(1, 2) * v.toxicity,
            "warn": R(3, 5) + R(1, 50) * v.reports,
            "remove": R(1, 10) * flagged,
        }
    )
    toxic_removed = sp.Implies(v.toxicity >= R(4, 5), al.eq(acts.symbol, "remove"))
    return al.Spec(
        space=space,
        actions=acts,
        intent=al.Intent(quality, require=[toxic_removed]),
        reward=al.Reward(engagement),
        name="moderation",
    )


def nonlinear_spec() -> al.Spec:
    space = al.Space(x=al.Real(0, 1), y=al.Real(0, 1), z=al.Real(0, 1))
    x, y, z = space.vars
    return al.Spec(
        space=space,
        intent=al.Intent(x - y * z),
        reward=al.Reward(x * y + z),
        name="nonlinear3",
    )


def mixed_spec(n_int: int = 6, hi: int = 50, seed: int = 1) -> al.Spec:
    """A mixed-integer spec where z3's optimiser spent its whole budget (hacking and
    requirements UNKNOWN after 33 s and 38 s): n_int Int variables in [0, hi], 3 Bools,
    3 Reals in [0, 1], 4 actions; a two-branch piecewise-linear quality per action, a
    linear engagement reward per action, two linear assumptions and one requirement."""
    R = sp.Rational
    rng = random.Random(seed)
    names = {f"n{i}": al.Int(0, hi) for i in range(n_int)}
    names |= {f"b{i}": al.Bool() for i in range(3)} | {f"x{i}": al.Real(0, 1) for i in range(3)}
    space = al.Space(**names)
    v = space.vars
    ns = [getattr(v, f"n{i}") for i in range(n_int)]
    xs = [getattr(v, f"x{i}") for i in range(3)]
    bs = [al.indicator(getattr(v, f"b{i}")) for i in range(3)]
    acts = al.Actions("a", "b", "c", "d")

    def linear() -> sp.Expr:
        return (
            sum(R(rng.randint(-9, 9), rng.randint(1, 7)) * n for n in ns)
            + sum(R(rng.randint(-9, 9), 3) * x for x in xs)
            + sum(rng.randint(-3, 3) * b for b in bs)
        )

    def branches() -> sp.Expr:
        return sp.Piecewise((linear(), ns[0] <= hi // 2), (linear(), True), evaluate=False)

    quality = acts.per_action({a: branches() for a in "abcd"})
    reward = acts.per_action({a: linear() for a in "abcd"})
    assume = [sum(ns) <= hi * n_int // 3, ns[1] - ns[2] >= 3]
    return al.Spec(
        space=space,
        actions=acts,
        intent=al.Intent(quality, require=[ns[3] <= hi - 5]),
        reward=al.Reward(reward),
        assume=assume,
        name=f"mixed{n_int}x{hi}",
    )


def _timed(fn: Callable[[], al.Finding]) -> tuple[float, al.Finding]:
    start = time.perf_counter()
    finding = fn()
    return time.perf_counter() - start, finding


def moderation() -> None:
    start = time.perf_counter()
    spec = moderation_spec()
    build = time.perf_counter() - start
    mb = al.Budget(timeout=MODERATION_TIMEOUT)
    checks: list[tuple[str, str, int, Callable[[], al.Finding]]] = [
        ("moderation", "inversion", MODERATION_TIMEOUT,
         lambda: al.outer.inversion(spec, budget=mb)),
        ("moderation", "hacking", MODERATION_TIMEOUT,
         lambda: al.outer.hacking(spec, budget=mb)),
        ("moderation", "requirements", MODERATION_TIMEOUT,
         lambda: al.outer.requirements(spec, budget=mb)),
        ("moderation", "goodhart_curve(5)", MODERATION_TIMEOUT,
         lambda: al.outer.goodhart_curve(spec, points=5, budget=mb)),
    ]  # fmt: skip
    nl = nonlinear_spec()
    nb = al.Budget(timeout=NONLINEAR_TIMEOUT)
    checks.append(
        ("nonlinear3", "goodhart_curve(5)", NONLINEAR_TIMEOUT,
         lambda: al.outer.goodhart_curve(nl, points=5, budget=nb))
    )  # fmt: skip
    for n_int, hi in ((6, 50), (12, 1000)):
        mixed = mixed_spec(n_int, hi)
        for check, run in (
            ("inversion", lambda m: al.outer.inversion(m, budget=mb)),
            ("hacking", lambda m: al.outer.hacking(m, budget=mb)),
            ("requirements", lambda m: al.outer.requirements(m, budget=mb)),
            ("goodhart_curve(5)", lambda m: al.outer.goodhart_curve(m, points=5, budget=mb)),
        ):
            checks.append((mixed.name or "", check, MODERATION_TIMEOUT, partial(run, mixed)))
    print(f"moderation Spec construction: {build:.4f} s")
    head = f"{'spec':>10} {'check':>18} {'budget s':>8} {'time s':>8} {'target':>7}  verdict"
    print(head)
    print("-" * len(head))
    for name, check, timeout, fn in checks:
        t, f = _timed(fn)
        ok = ("ok" if t < MODERATION_TARGET else "MISS") if name != "nonlinear3" else ""
        why = f"  ({f.reason})" if f.reason else ""
        print(
            f"{name:>10} {check:>18} {timeout:>8} {t:>8.3f} {ok:>7}  "
            f"{f.verdict.name} / {f.method}{why}"
        )


# --- profiling the slow parts ---------------------------------------------------------------
def profile(target: str, top: int) -> None:
    if target == "spec800":
        clear_cache()
        util, reward, weights = make(800, False)
        space = al.Space(**{f"x{i}": al.Real(0, 10) for i in range(800)})
        xs = list(space.vars)
        intent = sp.Add(*[u * x for u, x in zip(util, xs, strict=True)])
        rew = sp.Add(*[r * x for r, x in zip(reward, xs, strict=True)]) + 1
        assume = [sp.Add(*[w * x for w, x in zip(weights, xs, strict=True)]) <= 5 * 800]

        def run() -> object:
            return al.Spec(
                space=space, intent=al.Intent(intent), reward=al.Reward(rew), assume=assume
            )

    elif target == "hacking":
        spec = moderation_spec()

        def run() -> object:
            return al.outer.hacking(spec, budget=al.Budget(timeout=MODERATION_TIMEOUT))

    else:
        raise SystemExit(f"unknown profile target {target!r}: spec800 or hacking")
    prof = cProfile.Profile()
    prof.runcall(run)
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=7, help="repetitions per linear case")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--warm-cache", action="store_true", help="keep sympy's cache")
    parser.add_argument("--skip-linear", action="store_true")
    parser.add_argument("--skip-moderation", action="store_true")
    parser.add_argument("--profile", choices=["spec800", "hacking"], help="profile only this")
    parser.add_argument("--top", type=int, default=25, help="profile lines to print")
    parser.add_argument(
        "--stat", choices=["median", "min"], default="median", help="summary of the reps"
    )
    args = parser.parse_args()
    global STAT
    STAT = min if args.stat == "min" else statistics.median
    if args.profile:
        profile(args.profile, args.top)
        return
    if not args.skip_linear:
        linear(args.sizes, args.reps, args.warm_cache)
    if not args.skip_moderation:
        if not args.skip_linear:
            print()
        moderation()


if __name__ == "__main__":
    main()

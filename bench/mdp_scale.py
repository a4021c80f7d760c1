"""Scaling of the exact MDP checks (issue 11).  Run by hand:

    .venv/bin/python bench/mdp_scale.py [--sizes 1000 10000] [--horizons 25 50 100]
                                        [--timeout 300] [--mem-gib 12]
    .venv/bin/python bench/mdp_scale.py --profile random 1000 regret   # cProfile + tracemalloc

For each model and size, ``al.mdp.regret(m, specified, intended)`` and
``al.mdp.hackable(m, specified, intended)`` run in a fresh subprocess with a wall-clock cap
(``> N s`` when exceeded) and an address-space cap (``OOM`` on MemoryError or when the
process is killed).  Memory is the child's peak resident set (getrusage ru_maxrss): the
whole process, and the part above the process after the model was built.  Where two sizes
of one model finish, the log-log slope between them (time ~ size^k) is printed.

Models:
  random  S states x 4 actions, each (s, a) with 3 random successors and exact rational
          probabilities (fixed seed), gamma 9/10; rewards are (S, A) object arrays of small
          Python ints: specified in [-5, 5], intended a copy with 10% of entries redrawn.
  grid    10 x 9 gridworld x a step counter 0..H (H = 100 gives 8,325 states; the default
          horizons 12, 100, 1111 give about 10^3, 10^4, 10^5), 4 moves that
          slip (stay put) with probability 1/10; episodic (gamma 1), terminal at the goal or
          when the counter reaches H.  Specified reward: +1 per step spent on a bonus cell in
          a corner (a proxy) and +5 at the goal; intended: +10 at the goal.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve()

# ---------------------------------------------------------------------------------------
# Models


def random_sparse(n: int, seed: int = 0):
    """(mdp, specified, intended) for the random sparse model with n states."""
    import numpy as np
    from mdp import random_transitions  # bench/mdp.py, the same random model

    import alignspec as al

    rng = random.Random(seed)
    table = random_transitions(n, rng)
    mdp = al.MDP(range(n), range(4), table, 0, gamma=Fraction(9, 10))
    spec = [[rng.randint(-5, 5) for _ in range(4)] for _ in range(n)]
    intent = [[rng.randint(-5, 5) if rng.random() < 0.1 else x for x in row] for row in spec]
    # (S, A) object arrays of Python ints (int64 arrays give the same tables)
    return mdp, np.array(spec, dtype=object), np.array(intent, dtype=object)


W, HGT = 10, 9
START, GOAL, BONUS = (0, 0), (W - 1, HGT - 1), (0, HGT - 1)
MOVES = {"up": (0, 1), "down": (0, -1), "left": (-1, 0), "right": (1, 0)}


def gridworld(horizon: int = 100):
    """(mdp, specified, intended) for the gridworld with a step counter 0..horizon."""
    import alignspec as al

    def step(s, a):
        x, y, t = s
        dx, dy = MOVES[a]
        nx, ny = min(max(x + dx, 0), W - 1), min(max(y + dy, 0), HGT - 1)
        if (nx, ny) == (x, y):
            return [(Fraction(1), (x, y, t + 1))]
        return [(Fraction(9, 10), (nx, ny, t + 1)), (Fraction(1, 10), (x, y, t + 1))]

    def terminal(s):
        return s[2] >= horizon or (s[0], s[1]) == GOAL

    mdp = al.MDP.from_step(
        (*START, 0), list(MOVES), step, gamma=1, terminal=terminal, limit=1_000_000
    )

    def specified(s, a, s2):
        return (1 if (s2[0], s2[1]) == BONUS else 0) + (5 if (s2[0], s2[1]) == GOAL else 0)

    def intended(s, a, s2):
        return 10 if (s2[0], s2[1]) == GOAL else 0

    return mdp, specified, intended


MODELS = {"random": random_sparse, "grid": gridworld}


def build(model: str, size: int):
    return MODELS[model](size)


# ---------------------------------------------------------------------------------------
# One run (in the child process)


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(model: str, size: int, check: str, mem_gib: float) -> None:
    if mem_gib > 0:
        cap = int(mem_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    out: dict[str, object] = {}
    try:
        import alignspec as al

        t0 = time.perf_counter()
        mdp, spec, intent = build(model, size)
        out["build_s"] = time.perf_counter() - t0
        out["states"] = mdp.n_states
        base = _maxrss_mib()
        fn = al.mdp.regret if check == "regret" else al.mdp.hackable
        t0 = time.perf_counter()
        finding = fn(mdp, spec, intent)
        out["time_s"] = time.perf_counter() - t0
        out["peak_mib"] = _maxrss_mib()
        out["above_mib"] = out["peak_mib"] - base
        out["verdict"] = str(finding.verdict)
        fig = finding.figures
        if check == "regret" and "regret" in fig:
            out["detail"] = f"regret={float(fig['regret']):.6g}, {finding.method}"
        elif check == "regret" and "regret_lower" in fig:
            lo, hi = float(fig["regret_lower"]), float(fig["regret_upper"])
            out["detail"] = f"regret in [{lo:.12g}, {hi:.12g}], {finding.method}"
        else:
            out["detail"] = f"method={finding.method}"
        out["total_s"] = out["build_s"] + out["time_s"]
    except MemoryError:
        out["error"] = "OOM"
    except Exception as err:  # report, do not hide: the error and where it was raised
        import traceback

        frames = traceback.extract_tb(err.__traceback__)
        ours = [f for f in frames if "alignspec" in f.filename] or frames
        where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
        out["error"] = f"{type(err).__name__} at {where}: {str(err)[:100]}"
    print("RESULT " + json.dumps(out), flush=True)


def run_one(model: str, size: int, check: str, timeout: float, mem_gib: float) -> dict:
    cmd = [sys.executable, str(HERE), "--child", model, str(size), check, "--mem-gib", str(mem_gib)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"> {timeout:g} s"}
    wall = time.perf_counter() - start
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[7:])
            res["wall_s"] = wall
            return res
    if proc.returncode in (-9, 137) or "MemoryError" in proc.stderr:
        return {"error": "OOM"}
    tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
    return {"error": f"rc={proc.returncode}: {tail[:100]}"}


# ---------------------------------------------------------------------------------------
# Table


def slope(a: tuple[float, float], b: tuple[float, float]) -> float | None:
    (n1, y1), (n2, y2) = a, b
    if n1 == n2 or y1 <= 0 or y2 <= 0:
        return None
    return math.log(y2 / y1) / math.log(n2 / n1)


def bench(
    plan: list[tuple[str, list[int]]], checks: list[str], timeout: float, mem_gib: float
) -> None:
    try:
        rev = subprocess.run(
            ["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(HERE.parent), "status", "--porcelain", "--", "../alignspec"],
            capture_output=True,
            text=True,
        ).stdout.split()[1::2]
        print(
            f"alignspec at {rev}" + (f" + uncommitted edits to {', '.join(dirty)}" if dirty else "")
        )
    except OSError:
        pass
    print(
        f"per run: fresh subprocess, cap {timeout:g} s wall, {mem_gib:g} GiB address space; "
        "memory = peak RSS (ru_maxrss)"
    )
    head = (
        f"{'model':<7}{'size':>7}{'states':>8}{'check':>9}{'build s':>9}{'time s':>10}"
        f"{'total s':>9}{'peak MiB':>10}{'+MiB':>9}  verdict"
    )
    print(head)
    print("-" * len(head))
    for model, sizes in plan:
        for check in checks:
            done: list[tuple[int, float, float]] = []  # (states, time, +MiB)
            failed = None
            for size in sizes:
                if failed is not None:
                    print(f"{model:<7}{size:>7}{'':>8}{check:>9}  skipped (smaller size: {failed})")
                    continue
                r = run_one(model, size, check, timeout, mem_gib)
                states = r.get("states", "")
                if "error" in r:
                    failed = r["error"]
                    build_s = f"{r['build_s']:.2f}" if "build_s" in r else ""
                    print(f"{model:<7}{size:>7}{states!s:>8}{check:>9}{build_s:>9}  {r['error']}")
                    continue
                print(
                    f"{model:<7}{size:>7}{states:>8}{check:>9}{r['build_s']:>9.2f}"
                    f"{r['time_s']:>10.2f}{r['total_s']:>9.2f}{r['peak_mib']:>10.0f}"
                    f"{r['above_mib']:>9.0f}"
                    f"  {r['verdict']} ({r['detail']})",
                    flush=True,
                )
                done.append((r["states"], r["time_s"], r["above_mib"]))
            for (n1, t1, m1), (n2, t2, m2) in itertools.pairwise(done):
                ks, km = slope((n1, t1), (n2, t2)), slope((n1, m1), (n2, m2))
                print(
                    f"  growth {model} {check} {n1} -> {n2} states: time ~ S^"
                    f"{ks:.2f}" + (f", memory ~ S^{km:.2f}" if km is not None else "")
                )


def profile(model: str, size: int, check: str) -> None:
    """cProfile (top 20 cumulative) and a tracemalloc peak with its top allocation sites."""
    import cProfile
    import pstats
    import tracemalloc

    import alignspec as al

    mdp, spec, intent = build(model, size)
    fn = al.mdp.regret if check == "regret" else al.mdp.hackable
    prof = cProfile.Profile()
    prof.enable()
    finding = fn(mdp, spec, intent)
    prof.disable()
    print(f"{check} on {model} {size}: {finding.verdict}")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(20)
    tracemalloc.start(5)
    fn(mdp, spec, intent)
    _, peak = tracemalloc.get_traced_memory()
    snap = tracemalloc.take_snapshot()
    tracemalloc.stop()
    print(f"tracemalloc: peak {peak / 2**20:.1f} MiB traced during the call")
    print("largest blocks still allocated at the end of the call (by line):")
    for stat in snap.statistics("lineno")[:10]:
        print(f"  {stat}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    p.add_argument("--horizons", type=int, nargs="*", default=[12, 100, 1111])
    p.add_argument("--checks", nargs="*", default=["regret", "hackable"])
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--mem-gib", type=float, default=12)
    p.add_argument("--child", nargs=3, metavar=("MODEL", "SIZE", "CHECK"), help=argparse.SUPPRESS)
    p.add_argument("--profile", nargs=3, metavar=("MODEL", "SIZE", "CHECK"))
    args = p.parse_args()
    if args.child:
        model, size, check = args.child
        child(model, int(size), check, args.mem_gib)
        return
    if args.profile:
        model, size, check = args.profile
        profile(model, int(size), check)
        return
    plan = [("random", args.sizes), ("grid", args.horizons)]
    bench([(m, s) for m, s in plan if s], args.checks, args.timeout, args.mem_gib)


if __name__ == "__main__":
    main()

"""Dask against the local process pool: a spec suite and a neural branch-and-bound job.

The suite is the bundled specs plus generated ones (at least 40 in all, written as spec
files to a temporary directory, so Dask's workers load them by path as they would on a
cluster).  It runs on 1, 2 and 4 workers of a local process pool and of a Dask
LocalCluster (one thread per worker), and once in this process for reference; every run
must give the reference report (seconds and solver statistics aside).  The neural job is
one ACAS Xu instance whose branch and bound deals its open boxes to the workers.

    python bench/distributed.py [--workers 1,2,4] [--generated 26] [--net 1_1 --prop 6]
                                [--skip-suite] [--skip-neural]

Suite times are end to end for a run on a started pool, twice on each pool: the first run
pays for what a fresh worker lacks (a Dask worker imports alignspec and loads the spec
files; a local pool's forked workers have them already), the second shows a cluster that
is kept between runs.  Starting a pool is timed apart.  Prints, per worker count: wall
seconds, speed-up over this process alone, efficiency (speed-up / workers) and Dask's
overhead against the local pool.  The neural job is timed once per setting (its
branch and bound deals boxes in timed rounds: expect noise of a few seconds).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# This file's name is dask's package name: its folder must not shadow the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
ACAS = ROOT.parent / "shared" / "benchmarks" / "acasxu"

GENERATED = """
import alignspec as al

space = al.Space(
    hours=al.Real(0, 24), quality=al.Real(-10, 10), effort=al.Int(0, {top}), bonus=al.Bool()
)
v = space.vars
spec = al.Spec(
    space=space,
    intent=al.Intent({u} * v.quality - v.effort, require=[v.hours <= {cap}]),
    reward=al.Reward(v.hours + {b} * v.bonus + {e} * v.effort),
    assume=[
        v.quality <= 10 - v.hours / {slope},
        v.bonus >> (v.quality <= {q} - v.hours),
        v.effort <= v.hours + {spare},
    ],
    name="generated-{i:02d}",
)
"""


def generate(folder: Path, count: int) -> None:
    """``count`` spec files with varied constants (deterministic)."""
    for i in range(count):
        body = GENERATED.format(
            i=i,
            top=5 + i % 7,
            u=1 + i % 3,
            cap=6 + i % 5,
            b=1 + i % 4,
            e=i % 3,
            slope=1 + i % 2,
            q=9 - i % 3,
            spare=i % 4,
        )
        (folder / f"gen_{i:02d}_spec.py").write_text(textwrap.dedent(body))


def plain(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: plain(v) for k, v in doc.items() if k not in ("elapsed", "stats")}
    if isinstance(doc, list):
        return [plain(x) for x in doc]
    return doc


@contextmanager
def local_pool(n: int) -> Iterator[Any]:
    """The pool ``alignspec check -j N`` uses (N worker processes, even for N = 1)."""
    from alignspec.execution import Pool, _ignore_sigint

    executor = ProcessPoolExecutor(max_workers=n, initializer=_ignore_sigint)
    try:
        yield Pool(executor, n, "processes")
    finally:
        executor.shutdown(cancel_futures=True)


@contextmanager
def dask_pool(n: int) -> Iterator[Any]:
    from alignspec import execution

    with execution.pool("dask", jobs=n) as where:
        yield where


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def suite(args: argparse.Namespace, counts: list[int]) -> None:
    import alignspec as al
    from alignspec import cli
    from alignspec.engine import SAMPLES
    from alignspec.loader import locate

    folder = Path(tempfile.mkdtemp(prefix="alignspec-bench-")) / "specs"
    folder.mkdir()
    generate(folder, args.generated)
    located = locate([str(ROOT / "specs"), str(folder)])
    specs, refs = [t for t, _ in located], [r for _, r in located]
    task = cli._Task(al.Budget(timeout=cli.DEFAULT_TIMEOUT), SAMPLES, 20, None)
    print(f"suite: {len(specs)} specs ({args.generated} generated in {folder})", flush=True)

    first, reports = timed(lambda: cli.run(specs, task))
    reference = [plain(r.to_dict()) for r in reports]
    base, again = timed(lambda: cli.run(specs, task))  # warm, as the pools' second runs
    assert [plain(r.to_dict()) for r in again] == reference
    print(f"  this process alone: first run {first:6.2f} s, second run {base:6.2f} s", flush=True)
    rows = []
    for n in counts:
        row: dict[str, float] = {"n": n}
        for kind, opener in (("pool", local_pool), ("dask", dask_pool)):
            with ExitStack() as stack:
                row[f"{kind}_start"], opened = timed(lambda: stack.enter_context(opener(n)))
                for run in ("cold", "warm"):  # a fresh pool, then the same pool again
                    seconds, reports = timed(
                        lambda: cli.run(specs, task, opened, refs=refs if kind == "dask" else None)
                    )
                    if [plain(r.to_dict()) for r in reports] != reference:
                        print(f"  {kind} x{n}: REPORT DIFFERS FROM THE REFERENCE", flush=True)
                        sys.exit(1)
                    row[f"{kind}_{run}"] = seconds
            print(
                f"  {kind} x{n}: start {row[f'{kind}_start']:5.2f} s, first run "
                f"{row[f'{kind}_cold']:6.2f} s, second run {row[f'{kind}_warm']:6.2f} s; "
                "reports identical to this process's",
                flush=True,
            )
        rows.append(row)
    print(f"\nsuite of {len(specs)} specs: this process alone {base:.2f} s (second run)")
    print(
        "| workers | pool first / second s | dask first / second s | speed-up pool / dask "
        "(second) | efficiency pool / dask | dask overhead first / second |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        n = int(r["n"])
        print(
            f"| {n} | {r['pool_cold']:.2f} / {r['pool_warm']:.2f} | {r['dask_cold']:.2f} / "
            f"{r['dask_warm']:.2f} | {base / r['pool_warm']:.2f} / {base / r['dask_warm']:.2f} | "
            f"{base / r['pool_warm'] / n:.2f} / {base / r['dask_warm'] / n:.2f} | "
            f"{r['dask_cold'] / r['pool_cold'] - 1:+.1%} / "
            f"{r['dask_warm'] / r['pool_warm'] - 1:+.1%} |"
        )
    print(flush=True)


def neural(args: argparse.Namespace, counts: list[int]) -> None:
    from alignspec import execution
    from alignspec.inner import verify
    from alignspec.neural.parallel import workers
    from alignspec.neural.vnnlib import load
    from alignspec.solver import Budget

    net = ACAS / "onnx" / f"ACASXU_run2a_{args.net}_batch_2000.onnx"
    prop = ACAS / "vnnlib" / f"prop_{args.prop}.vnnlib"
    if not net.exists():
        print(f"neural: skipped ({net} is not beside this checkout)")
        return
    policy, spec, region = load(net, prop)
    print(f"neural: ACAS Xu {args.net} prop_{args.prop}", flush=True)

    def decide() -> Any:
        return verify(policy, spec, region, budget=Budget(timeout=600), samples=0)

    base, finding = timed(decide)
    verdict = finding.verdict
    print(f"  this process alone: {base:7.2f} s ({verdict})", flush=True)
    rows = []
    for n in [c for c in counts if c > 1]:  # one worker is this process: no rounds are dealt
        row: dict[str, float] = {"n": n}
        for kind in ("pool", "dask"):
            times = []
            for _ in range(1):
                if kind == "pool":
                    with workers(jobs=n):  # starts (and warms) its fork-server pool first
                        seconds, finding = timed(decide)
                else:
                    with (
                        execution.pool("dask", jobs=n) as where,
                        workers(jobs=n, executor=where.executor),
                    ):
                        seconds, finding = timed(decide)
                if finding.verdict is not verdict or "workers_failed" in finding.stats:
                    print(f"  {kind} x{n}: {finding.verdict} {dict(finding.stats)}: WRONG")
                    sys.exit(1)
                times.append(seconds)
            row[kind] = min(times)
            print(
                f"  {kind} x{n}: {row[kind]:7.2f} s, speed-up {base / row[kind]:4.2f}, "
                f"efficiency {base / row[kind] / n:4.2f}",
                flush=True,
            )
        rows.append(row)
    table("neural", base, rows)


def table(name: str, base: float, rows: list[dict[str, float]]) -> None:
    print(f"\n{name}: alone {base:.2f} s")
    print(
        "| workers | pool s | dask s | pool speed-up | dask speed-up | dask efficiency "
        "| dask overhead vs pool |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        n = int(r["n"])
        over = r["dask"] / r["pool"] - 1
        print(
            f"| {n} | {r['pool']:.2f} | {r['dask']:.2f} | {base / r['pool']:.2f} | "
            f"{base / r['dask']:.2f} | {base / r['dask'] / n:.2f} | {over:+.1%} |"
        )
    print(flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--generated", type=int, default=26)
    parser.add_argument("--net", default="1_1")
    parser.add_argument("--prop", default="6")
    parser.add_argument("--skip-neural", action="store_true")
    parser.add_argument("--skip-suite", action="store_true")
    args = parser.parse_args()
    counts = [int(c) for c in args.workers.split(",")]
    os.chdir(ROOT)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} cores; load average {load:.2f} before the run", flush=True)
    if not args.skip_suite:
        suite(args, counts)
    if not args.skip_neural:
        neural(args, counts)
    after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {after:.2f} after the run")
    return 0


if __name__ == "__main__":
    sys.exit(main())

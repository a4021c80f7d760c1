"""Dask against the local process pool: a spec suite and a neural branch-and-bound job.

The suite is the bundled specs plus generated ones (at least 40 in all, written as spec
files to a temporary directory, so Dask's workers load them by path as they would on a
cluster).  Each run is the command a user or a CI job runs, timed from the start of its
process to its exit (imports, collecting the specs, starting workers, checking, printing):

- ``alignspec check DIRS -j 1`` (the reference report) and ``-j N`` (N local processes);
- ``--dask -j N``: a Dask LocalCluster of N workers started and stopped by the command;
- ``--scheduler ADDRESS`` twice on a cluster of N workers kept between the runs, as a
  CI's scheduler and workers are: the first run's workers import alignspec and load the
  spec files; the second finds them loaded.

Every run's report must equal the ``-j 1`` report (seconds and solver statistics aside).
The neural job is one ACAS Xu instance whose branch and bound deals its open boxes to
the workers, run ``--repeats`` times on each started pool: the first run, and the median
of the others (it deals boxes in timed rounds, so single runs vary by a second or more).

    python bench/distributed.py [--workers 1,2,4] [--generated 26] [--net 1_1 --prop 6]
                                [--repeats 3] [--skip-suite] [--skip-neural]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from contextlib import ExitStack
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


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def cli_run(paths: list[str], *where: str) -> tuple[float, Any]:
    """``alignspec check PATHS --format json WHERE...`` in a fresh process, timed from its
    start to its exit (what a user or a CI job pays); returns (seconds, report document)."""
    command = [sys.executable, "-m", "alignspec", "check", *paths, "--format", "json", *where]
    seconds, done = timed(lambda: subprocess.run(command, capture_output=True, text=True))
    if done.returncode not in (0, 1) or not done.stdout.startswith("{"):
        print(f"  {' '.join(where)}: FAILED ({done.returncode})\n{done.stderr[-2000:]}")
        sys.exit(1)
    return seconds, plain(json.loads(done.stdout)["specs"])


def spread(times: list[float]) -> str:
    """``median s (min-max)`` of a setting's runs."""
    if len(times) == 1:
        return f"{times[0]:.2f} s"
    return f"{statistics.median(times):.2f} s ({min(times):.2f}-{max(times):.2f})"


def suite(args: argparse.Namespace, counts: list[int]) -> None:
    import distributed

    folder = Path(tempfile.mkdtemp(prefix="alignspec-bench-")) / "specs"
    folder.mkdir()
    generate(folder, args.generated)
    paths = [str(ROOT / "specs"), str(folder)]
    repeats = max(1, args.repeats)
    base_runs, reference = [], None
    for _ in range(repeats):
        seconds, doc = cli_run(paths, "-j", "1")
        reference = doc if reference is None else reference
        if doc != reference:
            print("  -j 1: REPORTS DIFFER BETWEEN RUNS", flush=True)
            sys.exit(1)
        base_runs.append(seconds)
    base = statistics.median(base_runs)
    print(f"suite: {len(reference)} specs ({args.generated} generated in {folder})", flush=True)
    print(f"  alignspec check -j 1: {spread(base_runs)}", flush=True)

    def same(name: str, doc: Any) -> None:
        if doc != reference:
            print(f"  {name}: REPORT DIFFERS FROM THE -j 1 REPORT", flush=True)
            sys.exit(1)

    rows = []
    for n in counts:
        runs: dict[str, list[float]] = {"pool": [], "fresh": [], "kept": []}
        # a cluster kept between runs, as a CI's scheduler and workers are
        cluster = distributed.LocalCluster(
            n_workers=n, threads_per_worker=1, dashboard_address=None, silence_logs=40
        )
        try:
            address = cluster.scheduler_address
            kept_first, doc = cli_run(paths, "--scheduler", address)
            same(f"--scheduler x{n}", doc)
            for _ in range(repeats):  # interleaved, so the machine's drift hits all alike
                for kind, where in (
                    ("pool", ["-j", str(n)]),
                    ("fresh", ["--dask", "-j", str(n)]),
                    ("kept", ["--scheduler", address]),
                ):
                    seconds, doc = cli_run(paths, *where)
                    same(" ".join(where), doc)
                    runs[kind].append(seconds)
        finally:
            cluster.close()
        row = {kind: statistics.median(times) for kind, times in runs.items()}
        row["n"], row["kept_first"] = n, kept_first
        print(
            f"  {n} worker(s): -j {spread(runs['pool'])}; --dask {spread(runs['fresh'])}; "
            f"--scheduler first {kept_first:.2f} s, again {spread(runs['kept'])}; every "
            "report identical to -j 1's",
            flush=True,
        )
        rows.append(row)
    print(
        f"\nsuite of {len(reference)} specs, end to end, medians of {repeats} runs: "
        f"alignspec check -j 1 {base:.2f} s"
    )
    print(
        "| workers | -j N s | --dask s | --scheduler first / again s | speed-up -j / "
        "--scheduler again | efficiency -j / --scheduler again | overhead vs -j: --dask, "
        "--scheduler first / again |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        n = int(r["n"])
        print(
            f"| {n} | {r['pool']:.2f} | {r['fresh']:.2f} | {r['kept_first']:.2f} / "
            f"{r['kept']:.2f} | {base / r['pool']:.2f} / {base / r['kept']:.2f} | "
            f"{base / r['pool'] / n:.2f} / {base / r['kept'] / n:.2f} | "
            f"{r['fresh'] / r['pool'] - 1:+.1%}, {r['kept_first'] / r['pool'] - 1:+.1%} / "
            f"{r['kept'] / r['pool'] - 1:+.1%} |"
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
        times: dict[str, list[float]] = {"pool": [], "dask": []}
        boxes: dict[str, list[int]] = {"pool": [], "dask": []}
        with ExitStack() as stack:
            stack.enter_context(workers(jobs=n))  # starts (and warms) the fork-server pool
            cluster = stack.enter_context(execution.pool("dask", jobs=n))
            for _ in range(args.repeats):  # interleaved, so the machine's drift hits both
                for kind in ("pool", "dask"):
                    with workers(jobs=n, executor=cluster.executor if kind == "dask" else None):
                        seconds, finding = timed(decide)
                    if finding.verdict is not verdict or "workers_failed" in finding.stats:
                        print(f"  {kind} x{n}: {finding.verdict} {dict(finding.stats)}: WRONG")
                        sys.exit(1)
                    times[kind].append(seconds)
                    boxes[kind].append(int(finding.stats.get("boxes", 0)))
        row: dict[str, float] = {"n": n}
        for kind in ("pool", "dask"):
            row[f"{kind}_first"] = times[kind][0]
            row[f"{kind}_again"] = statistics.median(times[kind][1:] or times[kind])
            print(
                f"  {kind} x{n}: "
                + ", ".join(f"{t:.2f}" for t in times[kind])
                + " s ("
                + ", ".join(str(b) for b in boxes[kind])
                + " boxes); first "
                f"{times[kind][0]:.2f} s, again (median) {row[f'{kind}_again']:.2f} s, "
                f"speed-up {base / row[f'{kind}_again']:4.2f}",
                flush=True,
            )
        rows.append(row)
    print(f"\nneural: alone {base:.2f} s; runs after the first: the median of {args.repeats - 1}")
    print(
        "| workers | pool first / again s | dask first / again s | speed-up pool / dask "
        "(again) | efficiency pool / dask | dask overhead first / again |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        n = int(r["n"])
        print(
            f"| {n} | {r['pool_first']:.2f} / {r['pool_again']:.2f} | {r['dask_first']:.2f} / "
            f"{r['dask_again']:.2f} | {base / r['pool_again']:.2f} / {base / r['dask_again']:.2f} "
            f"| {base / r['pool_again'] / n:.2f} / {base / r['dask_again'] / n:.2f} | "
            f"{r['dask_first'] / r['pool_first'] - 1:+.1%} / "
            f"{r['dask_again'] / r['pool_again'] - 1:+.1%} |"
        )
    print(flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--generated", type=int, default=26)
    parser.add_argument("--net", default="1_1")
    parser.add_argument("--prop", default="6")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per setting (medians are reported)"
    )
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

"""ACAS Xu (VNN-COMP): every instance of ../shared/benchmarks/acasxu/expected.csv, decided by
alignspec's neural engine (``alignspec.vnn.check_instance``, the function behind
``alignspec vnn``), with a per-instance timeout.

    python bench/acasxu.py [-j N] [--timeout 60] [--only prop_2] [--net 2_1] [--csv out.csv]

Prints a table (instance, expected, answer, seconds), the totals, and writes a CSV.  A wrong
answer (sat for an unsat instance or the reverse) is reported loudly: it must never happen.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "benchmarks" / "acasxu"


def _solve(net: str, prop: str, timeout: float) -> tuple[str, float, str]:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # one BLAS thread per worker process
    from alignspec.vnn import check_instance

    started = time.perf_counter()
    try:
        result = check_instance(DATA / "onnx" / net, DATA / "vnnlib" / prop, timeout=timeout)
    except Exception as err:  # report, never hide
        return "error", time.perf_counter() - started, f"{type(err).__name__}: {err}"
    reason = result.finding.reason if result.finding is not None else ""
    return result.answer, result.seconds, reason or ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--only", default=None, help="one property, e.g. prop_2")
    parser.add_argument("--net", default=None, help="networks whose name contains this")
    parser.add_argument("--csv", default="acasxu-results.csv")
    args = parser.parse_args()
    with (DATA / "expected.csv").open() as f:
        rows = [r for r in csv.DictReader(f)]
    if args.only:
        rows = [r for r in rows if r["property"] == f"{args.only}.vnnlib"]
    if args.net:
        rows = [r for r in rows if f"_{args.net}_" in r["network"]]
    results: dict[int, tuple[str, float, str]] = {}
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            pool.submit(_solve, r["network"], r["property"], args.timeout): i
            for i, r in enumerate(rows)
        }
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            r = rows[i]
            answer, seconds, reason = results[i]
            name = r["network"].removeprefix("ACASXU_run2a_").removesuffix("_batch_2000.onnx")
            mark = ""
            if answer in ("sat", "unsat") and answer != r["expected"]:
                mark = "  <-- WRONG"
            print(
                f"{name:>5} {r['property'].removesuffix('.vnnlib'):>8}  expected "
                f"{r['expected']:>5}  answer {answer:>7}  {seconds:7.2f} s{mark}"
                + (f"  ({reason[:60]})" if answer in ("unknown", "error") else ""),
                flush=True,
            )
    wall = time.perf_counter() - started
    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["network", "property", "expected", "answer", "seconds", "reason"])
        for i, r in enumerate(rows):
            answer, seconds, reason = results[i]
            w.writerow(
                [r["network"], r["property"], r["expected"], answer, f"{seconds:.3f}", reason]
            )
    solved = [results[i] for i, r in enumerate(rows) if results[i][0] == r["expected"]]
    wrong = [
        i
        for i, r in enumerate(rows)
        if results[i][0] in ("sat", "unsat") and results[i][0] != r["expected"]
    ]
    times = sorted(s for _, s, _ in solved)
    print()
    print(
        f"instances {len(rows)}  solved {len(solved)}  wrong {len(wrong)}  "
        f"unsolved {len(rows) - len(solved) - len(wrong)}"
    )
    for kind in ("sat", "unsat"):
        part = [results[i] for i, r in enumerate(rows) if r["expected"] == kind]
        ok = [p for p in part if p[0] == kind]
        print(f"  {kind:>5}: {len(ok)}/{len(part)} solved")
    if times:
        print(
            f"solve time of solved instances: median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s, total {sum(times):.1f} s"
        )
    print(
        f"wall clock {wall:.1f} s with {args.jobs} worker(s), timeout {args.timeout} s; "
        f"CSV: {args.csv}"
    )
    if wrong:
        print("WRONG ANSWERS:", [rows[i]["network"] + " " + rows[i]["property"] for i in wrong])
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())

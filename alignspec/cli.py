"""The ``alignspec`` command: check spec files and report verdicts.

Exit status: 0 when every spec with an ``expect`` meets it, 1 when one does not, 2 on a
spec or usage error (the message is printed, no traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import queue
import shutil
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager, ExitStack, closing
from typing import Any

from alignspec import execution
from alignspec.engine import SAMPLES
from alignspec.errors import SpecError
from alignspec.execution import Pool, completed
from alignspec.loader import Ref, Target, load, locate
from alignspec.report import json as json_report
from alignspec.report import text
from alignspec.results import Report
from alignspec.runner import ALL_CHECKS
from alignspec.solver import DEFAULT_RLIMIT, Budget
from alignspec.suite import Task

#: The task that checks one spec (kept under its old name here).
_Task = Task


class Progress:
    """One line on stderr, only when it is a terminal, naming the specs and checks that are
    running now (not the last ones that finished): ``[2/17] running boat-race: regret``."""

    def __init__(self, total: int, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.total, self.done = total, 0
        self.running: dict[str, str] = {}
        self.ended: set[str] = set()
        self.on = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.shown = False

    def start(self, spec: str, check: str) -> None:
        if spec in self.ended:  # a late message: a cluster's events may trail its result
            return
        self.running[spec] = check
        self.draw()

    def finish(self, spec: str) -> None:
        self.done += 1
        self.ended.add(spec)
        self.running.pop(spec, None)
        self.draw()

    def put(self, event: tuple[str, str]) -> None:
        """A check starts here (``_Task.events`` for a task run in this process)."""
        self.start(*event)

    def draw(self) -> None:
        if not self.on:
            return
        now = "; ".join(f"{spec}: {check}" for spec, check in self.running.items())
        line = f"[{self.done}/{self.total}]" + (f" running {now}" if now else "")
        width = max(20, shutil.get_terminal_size().columns - 1)
        self.stream.write(f"\r\033[K{line[:width]}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Wipe the line (before a report is printed to the same terminal)."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False

    close = clear


def run(
    specs: Sequence[Target],
    task: Task,
    where: Pool | Executor | None = None,
    *,
    on_report: Callable[[Report], None] | None = None,
    progress: Progress | None = None,
    refs: Sequence[Ref] | None = None,
) -> list[Report]:
    """Reports in spec order; ``on_report`` gets each one as soon as it is finished (in
    the order they finish).  On a local process pool, specs that cannot travel (a lambda
    inside, say) run here instead, after the others are handed out; on a Dask cluster the
    workers load each spec by its ``refs`` entry (its file's path), or get it pickled by
    Dask (cloudpickle) when no refs are given."""
    progress = progress or Progress(len(specs))
    reports: dict[int, Report] = {}

    def finished(i: int, report: Report) -> None:
        reports[i] = report
        progress.finish(specs[i].label)
        if on_report is not None:
            progress.clear()
            on_report(report)
            progress.draw()

    here = task.reporting_to(progress if progress.on else None)
    if isinstance(where, Executor):
        where = Pool(where, 1, "processes")
    try:
        if where is None or where.executor is None:
            for i, s in enumerate(specs):
                finished(i, here(s))
        else:
            _parallel(specs, task, here, where, progress, finished, refs)
        return [reports[i] for i in range(len(specs))]
    finally:
        progress.close()


def _parallel(
    specs: Sequence[Target],
    task: Task,
    here: Task,
    where: Pool,
    progress: Progress,
    finished: Callable[[int, Report], None],
    refs: Sequence[Ref] | None,
) -> None:
    with ExitStack() as stack:
        received = None
        if progress.on:  # workers tell which check they start: the line names it
            sender, received = stack.enter_context(execution.messages(where))
            task = task.reporting_to(sender)
        items: Sequence[Target | Ref] = specs
        if where.remote:
            travelling = list(range(len(specs)))
            items = list(refs) if refs is not None else specs
        else:
            travelling = [i for i, s in enumerate(specs) if _picklable(s)]
        results = completed(
            where, task, [items[i] for i in travelling], tick=lambda: _drain(received, progress)
        )
        sent = set(travelling)
        staying = [i for i in range(len(specs)) if i not in sent]
        if staying:
            print(
                f"alignspec: running here (cannot be sent to worker processes): "
                f"{', '.join(specs[i].label for i in staying)}",
                file=sys.stderr,
            )
        for i in staying:
            finished(i, here(specs[i]))
        with closing(results):
            for k, report in results:
                finished(travelling[k], report)


def _drain(events: Any, progress: Progress) -> None:
    while events is not None:
        try:
            progress.put(events.get_nowait())
        except queue.Empty:
            return


def _picklable(spec: Target) -> bool:
    try:
        pickle.dumps(spec)
    except Exception:  # e.g. a lambda policy cannot travel to a worker process
        return False
    return True


#: The default wall-clock limit per check of ``alignspec check`` (seconds).
DEFAULT_TIMEOUT = 300.0


def _seconds(text: str) -> float | None:
    """``--timeout``: seconds > 0, or 0 / 'none' for no wall-clock limit."""
    if text.strip().lower() in ("none", "off", "0", "0.0", "inf"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds (0 or 'none': no limit)"
        ) from None
    if not value > 0 or value != value:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds > 0 (0 or 'none': no limit)")
    return value


def _parser() -> argparse.ArgumentParser:
    from alignspec import __version__

    parser = argparse.ArgumentParser(prog="alignspec", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"alignspec {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="run the alignment checks on spec files")
    c.add_argument(
        "paths",
        nargs="*",
        default=["specs"],
        metavar="PATH",
        help="spec .py files, directories of them, or module names (default: specs/)",
    )
    c.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        help="run specs on N local processes (with --dask: N workers; default the cores)",
    )
    _cluster_options(c, "run specs on")
    c.add_argument("--json", action="store_true", help="print one JSON document (--format json)")
    c.add_argument(
        "--format",
        choices=("text", "jsonl", "json", "junit", "sarif", "html"),
        default=None,
        help="output format (default text; text and jsonl print each spec as it finishes)",
    )
    c.add_argument(
        "--map",
        default=None,
        metavar="X,Y",
        help="html: the two variables of the reward-vs-intent map",
    )
    c.add_argument(
        "--allow-unknown",
        action="store_true",
        help="junit: report UNKNOWN as skipped rather than failed",
    )
    c.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="wall-clock limit per check: every query, sampling and bounding work "
        f"together (default {DEFAULT_TIMEOUT:g}; 0 or 'none': no limit)",
    )
    c.add_argument(
        "--rlimit",
        type=int,
        default=DEFAULT_RLIMIT,
        help=f"z3 resource limit per query (deterministic; default {DEFAULT_RLIMIT})",
    )
    c.add_argument(
        "--samples",
        type=int,
        default=SAMPLES,
        help="examples the sampling fallback tries when z3 gives up (0: off)",
    )
    c.add_argument("--points", type=int, default=20, help="points on each Goodhart curve")
    c.add_argument(
        "--checks", default=None, help=f"comma-separated subset of {','.join(ALL_CHECKS)}"
    )
    p = sub.add_parser("prove", help="write proof certificates (JSON + SMT-LIB2) for CI")
    p.add_argument("paths", nargs="*", default=["specs"], metavar="PATH")
    p.add_argument("--out", default="proofs", help="certificate directory (default proofs/)")
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="prove again even when a spec's certificates match its content hash",
    )
    p.add_argument("--rlimit", type=int, default=DEFAULT_RLIMIT)
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS")
    v = sub.add_parser(
        "vnn",
        help="decide a VNN-COMP instance: an ONNX network and a VNN-LIB property",
        description="Print unsat (the property holds: no input of its region is unsafe), "
        "sat and a counterexample, unknown or timeout, as VNN-COMP tools do. Exit status: "
        "0 unsat, 1 sat, 2 bad input, 3 unknown or timeout.",
    )
    v.add_argument("network", metavar="NET.onnx")
    v.add_argument("property", metavar="PROP.vnnlib")
    v.add_argument("--timeout", type=float, default=None, metavar="SECONDS")
    v.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        help="worker processes for branch and bound (default: the cores there are; "
        "with --dask: that many workers)",
    )
    _cluster_options(v, "share branch and bound with")
    r = sub.add_parser("recheck", help="re-decide stored certificates with z3 (and cvc5)")
    r.add_argument("proofs", nargs="?", default="proofs", metavar="DIR")
    r.add_argument(
        "--solvers",
        default="z3,cvc5",
        help="comma-separated solvers that must each answer unsat (default z3,cvc5; "
        "a solver that is not installed fails the re-check)",
    )
    return parser


def _cluster_options(command: argparse.ArgumentParser, what: str) -> None:
    """--scheduler ADDRESS | --dask: the Dask cluster a command sends its work to."""
    where = command.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help=f"{what} the Dask cluster of this scheduler (e.g. tcp://host:8786); needs "
        "alignspec[dask] and the same files at the same paths on the workers",
    )
    where.add_argument(
        "--dask",
        action="store_true",
        help=f"{what} a Dask LocalCluster of -j worker processes on this machine",
    )


def _no_jobs_with_scheduler(args: argparse.Namespace) -> None:
    if args.scheduler is not None and args.jobs is not None:
        raise SpecError(
            f"--jobs cannot be given with --scheduler: the cluster at {args.scheduler} has "
            "the workers it has (start more with `dask worker ADDRESS`)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "prove":
            return _prove(args)
        if args.command == "recheck":
            return _recheck(args)
        if args.command == "vnn":
            return _vnn(args)
        return _check(args)
    except SpecError as err:
        print(f"alignspec: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head: stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:  # Ctrl-C: say so and exit as shells expect, no traceback
        engine = sys.modules.get("alignspec.neural.parallel")
        if engine is not None:
            engine.stop_all()
        print("alignspec: interrupted", file=sys.stderr)
        return 130


def _prove(args: argparse.Namespace) -> int:
    from pathlib import Path

    from alignspec import certificates

    out, root = Path(args.out), Path.cwd()
    targets = load(args.paths)
    task = _Task(Budget(args.rlimit, args.timeout), SAMPLES, 20, None)
    fresh, reports, cached = [], [], 0
    for target in targets:
        records = None if args.no_cache else certificates.cached(out, target, target.label)
        if records is not None:
            cached += 1
            continue
        fresh.append(target)
        reports.append(task(target))
    written = certificates.prove(fresh, reports, out, root)
    print(
        f"{len(written)} certificate file(s) written to {out}/ for {len(fresh)} spec(s); "
        f"{cached} spec(s) unchanged (cached)"
    )
    return 0 if all(r.meets_expectation for r in reports) else 1


def _vnn(args: argparse.Namespace) -> int:
    from alignspec.vnn import EXIT, check_instance

    if args.timeout is not None and args.timeout <= 0:
        raise SpecError("--timeout must be > 0")
    if args.jobs is not None and args.jobs < 1:
        raise SpecError("--jobs must be >= 1")
    _no_jobs_with_scheduler(args)
    executor = args.scheduler or ("dask" if args.dask else None)
    result = check_instance(
        args.network, args.property, timeout=args.timeout, jobs=args.jobs, executor=executor
    )
    print(result.answer)
    if result.answer == "sat":
        print(result.counterexample())
    elif result.answer != "unsat" and result.finding is not None:
        print(f"reason: {result.finding.reason}", file=sys.stderr)
    print(f"{result.seconds:.2f} s", file=sys.stderr)
    return EXIT[result.answer]


def _recheck(args: argparse.Namespace) -> int:
    from pathlib import Path

    from alignspec import certificates
    from alignspec.solver.portable import versions

    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    problems = certificates.recheck(Path(args.proofs), Path.cwd(), solvers)
    for problem in problems:
        print(f"alignspec: recheck: {problem}", file=sys.stderr)
    if not problems:
        used = ", ".join(f"{name} {version}" for name, version in versions(solvers).items())
        print(f"all certificates in {args.proofs}/ hold (re-checked by {used})")
    return 1 if problems else 0


def _check_map(axes: tuple[str, ...], specs: list[Any]) -> None:
    """--map names two variables some loaded Spec has (it was silently ignored otherwise)."""
    from alignspec.spec import Spec

    known = [t for t in specs if isinstance(t, Spec)]
    if any(set(axes) <= set(t.domain.variables) for t in known):
        return
    names = sorted({n for t in known for n in t.domain.variables})
    raise SpecError(
        f"--map {','.join(axes)}: no loaded spec has both variables; "
        + (f"the specs' variables are {names}" if names else "no spec with variables was loaded")
    )


def _check(args: argparse.Namespace) -> int:
    if (args.jobs is not None and args.jobs < 1) or args.points < 2:
        raise SpecError("--jobs must be >= 1 and --points >= 2")
    _no_jobs_with_scheduler(args)
    checks = None
    if args.checks:
        checks = tuple(c.strip() for c in args.checks.split(",") if c.strip())
        bad = [c for c in checks if c not in ALL_CHECKS]
        if bad:
            raise SpecError(f"--checks: unknown check(s) {bad}; choose from {list(ALL_CHECKS)}")
    fmt = args.format or ("json" if args.json else "text")
    axes = tuple(v.strip() for v in args.map.split(",")) if args.map else None
    if axes is not None and len(axes) != 2:
        raise SpecError(f"--map {args.map!r}: name two variables, e.g. --map x,y")
    located = locate(args.paths)
    specs = [target for target, _ in located]
    if axes is not None:
        _check_map(axes, specs)
    task = _Task(Budget(args.rlimit, args.timeout), args.samples, args.points, checks)
    done: list[Report] = []

    def stream(report: Report) -> None:
        done.append(report)
        if fmt == "text":
            print(text.render(report) + "\n", flush=True)
        elif fmt == "jsonl":
            print(json.dumps({"type": "spec", **report.to_dict()}), flush=True)

    try:
        with _where(args, len(specs)) as where:
            reports = run(specs, task, where, on_report=stream, refs=[r for _, r in located])
    except KeyboardInterrupt:
        print(_interrupted(specs, done), file=sys.stderr)
        raise
    if fmt == "json":
        print(json_report.dumps(reports))
    elif fmt == "jsonl":
        print(json.dumps(json_report.summary_line(reports)))
    elif fmt == "junit":
        from alignspec.report import junit

        print(junit.dumps(reports, allow_unknown=args.allow_unknown))
    elif fmt == "html":
        from alignspec.report import html

        print(html.render(reports, specs, axes=axes))
    elif fmt == "sarif":
        from alignspec.report import sarif

        print(sarif.dumps(reports, root=os.getcwd()))
    else:
        print(text.summary(reports))
    return 0 if all(r.meets_expectation for r in reports) else 1


def _where(args: argparse.Namespace, count: int) -> AbstractContextManager[Pool]:
    """Where ``check`` runs its specs: here, a local pool (-j), or a Dask cluster."""
    if args.scheduler is not None:
        return execution.pool(args.scheduler)
    if args.dask:
        return execution.pool("dask", jobs=args.jobs)
    jobs = min(args.jobs or 1, count)
    return execution.pool(None, jobs=max(1, jobs))


def _interrupted(specs: Sequence[Target], done: Sequence[Report]) -> str:
    """What finished before Ctrl-C (its reports were printed as they finished)."""
    finished = ", ".join(
        f"{r.spec} {r.verdict}{'' if r.meets_expectation else ' (NOT AS EXPECTED)'}" for r in done
    )
    left = [s.label for s in specs if s.label not in {r.spec for r in done}]
    return (
        f"alignspec: {len(done)} of {len(specs)} spec(s) finished before the interrupt"
        + (f": {finished}" if done else "")
        + (f"; not finished: {', '.join(left)}" if left else "")
    )


if __name__ == "__main__":
    sys.exit(main())

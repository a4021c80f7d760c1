"""Where branch and bound runs its boxes: worker processes behind one Executor seam.

Every parallel piece of the neural engine is a plain function of picklable arguments
submitted to a :class:`concurrent.futures.Executor`, so any executor works: by default a
local process pool of ``jobs`` workers, whatever :func:`workers` is given, or the pool
made active by :func:`alignspec.execution.on` (a Dask cluster: one share per worker
thread).  Nothing starts a process unless asked: the default is one job, in the calling
process.

    with alignspec.neural.parallel.workers(jobs=2):
        al.inner.verify(policy, spec, region)
    with alignspec.execution.on("tcp://scheduler:8786"):
        al.inner.verify(policy, spec, region)
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import numpy.typing as npt

from alignspec import execution
from alignspec.errors import OptionError
from alignspec.solver import isolated

_JOBS: ContextVar[int | None] = ContextVar("alignspec_jobs", default=None)
_EXECUTOR: ContextVar[Executor | None] = ContextVar("alignspec_executor", default=None)
_POOLS: dict[int, ProcessPoolExecutor] = {}


@contextmanager
def workers(jobs: int | None = None, executor: Executor | None = None) -> Iterator[None]:
    """Run the neural engine inside the block on ``jobs`` local processes (1: none), or on
    ``executor`` (``jobs`` then says how many shares a round deals out)."""
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise OptionError(f"jobs={jobs!r} must be a whole number >= 1")
    tokens = (_JOBS.set(jobs), _EXECUTOR.set(executor))
    if jobs is not None and jobs > 1 and executor is None:
        _warm(jobs)
    try:
        yield
    finally:
        _JOBS.reset(tokens[0])
        _EXECUTOR.reset(tokens[1])


def current_jobs(jobs: int | None = None) -> int:
    """The number of shares: ``jobs`` if given, else the :func:`workers` setting, else the
    worker count of the active :mod:`alignspec.execution` pool, else 1 (a library call
    never starts processes on its own)."""
    if jobs is not None:
        return jobs
    active = execution.active()
    if _JOBS.get() is None and active is not None and active.executor is not None:
        return active.workers
    return _JOBS.get() or 1


#: The cores this process may use (the CLI's default for ``-j``).
cores = execution.cores


def executor(jobs: int) -> Executor:
    """The executor set by :func:`workers`, else a process pool of ``jobs`` workers (kept
    for the next query).  Workers come from a fork server, never from a fork of the caller:
    a fork of a process whose BLAS or solver threads hold a lock can deadlock."""
    given = _EXECUTOR.get()
    if given is not None:
        return given
    active = execution.active()
    if active is not None and active.executor is not None:
        return active.executor
    pool = _POOLS.get(jobs)
    if pool is None:
        methods = multiprocessing.get_all_start_methods()
        if "forkserver" in methods:
            server = multiprocessing.get_context("forkserver")
            server.set_forkserver_preload(["alignspec.neural.bab"])
            context: Any = server
        else:  # pragma: no cover - Windows, where spawn is all there is
            context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_ignore_interrupts
        )
        _POOLS[jobs] = pool
    return pool


def _noop(_: int) -> None:
    return None


def _warm(jobs: int) -> None:
    """Start the local pool's workers now and wait until each has run a task: a worker
    still being started when the caller exits (Ctrl-C during a long check) cannot rebuild
    the pool's semaphores, and the fork server printed a traceback for it."""
    pool = executor(jobs)
    try:
        # submitting starts the workers; Ctrl-C meanwhile could land between the fork
        # server's fork and the pool recording the process, which then outlives us: defer
        # it until every start is recorded (stop_all can then terminate them all)
        with deferred_interrupts():
            started = [pool.submit(_noop, i) for i in range(jobs)]
        for future in started:
            future.result()
    except Exception:  # a pool that cannot start: the engine redoes work locally anyway
        discard(jobs)


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT (delivered when the block ends) on the main thread where the platform
    allows it; elsewhere run the block as it is.  Wrap submissions that may start worker
    processes: a start interrupted between the fork server's fork and the pool recording
    the process leaves a worker that outlives the caller."""
    import signal
    import threading

    block = getattr(signal, "pthread_sigmask", None)
    if block is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the caller (they share its terminal's process group): a
    worker killed by it broke the pool, the caller started a new one while exiting, and
    the fork server printed a traceback for a worker it could no longer start."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_all() -> None:
    """Stop every local pool's workers at once (Ctrl-C): terminate the processes, those
    still starting included, so none outlives the caller and fails to rebuild the pool's
    semaphores with a traceback on the terminal; then forget the pools."""
    for jobs in list(_POOLS):
        pool = _POOLS.pop(jobs)
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=1)
    _stop_forkserver_children()


def _stop_forkserver_children() -> None:
    """Terminate what the fork server forked that no pool recorded: a start cut short by
    Ctrl-C between the fork and the pool's bookkeeping, which would outlive this process
    and print a traceback when its semaphores are gone (Linux: read from /proc)."""
    import signal
    from multiprocessing import forkserver

    server = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    if not server:
        return
    try:
        with open(f"/proc/{server}/task/{server}/children", encoding="ascii") as listing:
            children = [int(pid) for pid in listing.read().split()]
    except (OSError, ValueError):
        return
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass


def discard(jobs: int) -> None:
    """Forget (and stop) the local pool of ``jobs`` workers after one of them failed."""
    pool = _POOLS.pop(jobs, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


_QUERIES: dict[str, Any] = {}
_LIMITED = False


def run_share(
    payload: tuple[str, bytes],
    boxes: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int]],
    settings: Any,
    rlimit: int | None,
    remaining: float | None,
    measure: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float],
    seed: int,
) -> Any:
    """A worker's share of a round: branch and bound on ``boxes`` for ``settings.share``
    seconds (the query is unpickled once per process and kept)."""
    global _LIMITED
    import attrs

    from alignspec.neural.bab import _Run
    from alignspec.neural.query import translate
    from alignspec.solver import Budget

    execution.roomy_malloc()
    if not _LIMITED:  # one BLAS thread per worker: the workers are the parallelism
        _LIMITED = True
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            pass
    key, data = payload
    query = _QUERIES.get(key)
    if query is None:
        query = translate(pickle.loads(data))
        _QUERIES.clear()  # one query at a time is all a worker needs to remember
        _QUERIES[key] = query
    budget = Budget(rlimit=rlimit, timeout=remaining if remaining else None).start()
    run = _Run(query, budget, attrs.evolve(settings, seed=settings.seed + 1 + seed))
    run.root_lo, run.root_hi, run.total = measure
    run.stack = list(boxes)
    with isolated():  # z3 leaves: safe beside other threads of a Dask worker
        return run.work(settings.share)

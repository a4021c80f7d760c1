"""Where parallel work runs: the one Executor seam of alignspec.

Every parallel piece of work (the specs of a suite, the checks of a spec, the box shares
of neural branch and bound, the points of a Goodhart curve) is a plain function of
picklable arguments, handed to a :class:`Pool`: a ``concurrent.futures.Executor`` and the
number of tasks it runs at once.  :func:`pool` opens one from what the user asked for:

- ``None``: this process, one task after another (``jobs=1``) or a local process pool;
- ``"dask"``: a Dask ``LocalCluster`` of ``jobs`` single-threaded worker processes;
- ``"tcp://host:8786"`` (any scheduler address): a Dask ``Client`` of that cluster;
- a ``distributed.Client``, or any ``concurrent.futures.Executor``: used as given (and
  left open: whoever made it closes it).

Dask is imported only when asked for.  :func:`completed` submits tasks and yields their
results as they finish; leaving it early (an error, Ctrl-C) cancels what has not run.
A task that runs on a Dask worker sees no active pool (:func:`active` is None there), so
work never submits to the cluster from inside the cluster.

    with execution.pool("tcp://scheduler:8786") as where:
        for i, report in execution.completed(where, task, targets):
            ...
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

import attrs

from alignspec.errors import ClusterError, OptionError

T = TypeVar("T")
R = TypeVar("R")

#: Seconds to wait for a scheduler to answer, and for a first worker to join it.
CONNECT_TIMEOUT = 30.0


@attrs.frozen
class Pool:
    """An opened place to run tasks: ``executor`` None runs them here, in order."""

    executor: Executor | None
    workers: int  # tasks that run at once: how many shares a split should deal out
    kind: str  # "here", "processes" or "dask"
    client: Any = attrs.field(default=None, eq=False, repr=False)  # the dask Client, if any

    @property
    def remote(self) -> bool:
        """Do tasks run in fresh interpreters that lack this process's modules (so a spec
        loaded from a file must be loaded there again by its path)?"""
        return self.kind == "dask"


HERE = Pool(None, 1, "here")

_ACTIVE: ContextVar[Pool | None] = ContextVar("alignspec_pool", default=None)


def active() -> Pool | None:
    """The pool set by :func:`using` in this context (None: none; always None on a worker)."""
    return _ACTIVE.get()


@contextmanager
def using(where: Pool) -> Iterator[Pool]:
    """Make ``where`` the pool that nested parallel work (curve points, box shares) uses."""
    token = _ACTIVE.set(where)
    try:
        yield where
    finally:
        _ACTIVE.reset(token)


def cores() -> int:
    """The cores this process may use (the default worker count of a LocalCluster)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextmanager
def on(where: object, *, jobs: int | None = None) -> Iterator[Pool]:
    """Open ``where`` (as :func:`pool` does) and make it the active pool of the block: the
    points of a Goodhart curve and the box shares of neural branch and bound go there.

        with alignspec.execution.on("tcp://scheduler:8786"):
            al.outer.goodhart_curve(spec, points=200)
    """
    with pool(where, jobs=jobs) as opened, using(opened):
        yield opened


@contextmanager
def pool(where: object = None, *, jobs: int | None = None) -> Iterator[Pool]:
    """Open the pool ``where`` names (see the module docstring) with ``jobs`` workers
    where it starts them (default: 1 here, one per core for ``"dask"``); what is started
    here (a process pool, a LocalCluster, a Client) is stopped on leaving, at once on an
    error or Ctrl-C, cancelling the tasks that have not finished."""
    if jobs is None:
        jobs = cores() if where == "dask" else 1
    if not isinstance(jobs, int) or jobs < 1:
        raise OptionError(f"jobs={jobs!r} must be a whole number >= 1")
    if isinstance(where, Pool):
        yield where
    elif where is None:
        if jobs == 1:
            yield HERE
        else:
            with _processes(jobs) as opened:
                yield opened
    elif isinstance(where, str):
        with _dask(where, jobs) as opened:
            yield opened
    elif isinstance(where, ThreadPoolExecutor):
        raise OptionError(
            "a ThreadPoolExecutor cannot run checks: z3 is not thread-safe; use a "
            "ProcessPoolExecutor or a Dask cluster"
        )
    elif isinstance(where, Executor):
        yield Pool(where, _max_workers(where, jobs), "processes")
    elif _is_dask_client(where):
        yield _client_pool(where)
    else:
        raise OptionError(
            f"executor={where!r}: give a distributed.Client, a concurrent.futures.Executor, "
            "a scheduler address such as 'tcp://host:8786', or 'dask' for a local cluster"
        )


def completed(
    where: Pool,
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    tick: Callable[[], None] | None = None,
) -> Generator[tuple[int, R], None, None]:
    """``(i, fn(items[i]))`` for every item, each as soon as it is finished (here: in
    order, one by one as the iterator is read).  Every task is submitted before this
    returns; ``tick`` is called every 0.2 s while waiting.  A task's exception is raised
    with its own type.  Closing the iterator early cancels the tasks still pending."""
    if where.executor is None:
        return ((i, fn(item)) for i, item in enumerate(items))
    task = _Detached(fn)
    futures = {where.executor.submit(task, item): i for i, item in enumerate(items)}
    return _as_completed(futures, tick)


@attrs.frozen
class _Detached(Generic[T, R]):
    """``fn`` run with no active pool: a forked worker inherits this process's context,
    and its copy of the pool's executor must never be submitted to."""

    fn: Callable[[T], R]

    def __call__(self, item: T) -> R:
        roomy_malloc()
        token = _ACTIVE.set(None)
        try:
            return self.fn(item)
        finally:
            _ACTIVE.reset(token)


_MALLOC_TUNED = False


def roomy_malloc() -> None:
    """Undo, once per process, the allocator setting Dask's nanny gives its workers.

    Dask starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (to hand memory back to the
    OS).  Setting it also freezes glibc's mmap threshold at 128 KiB, so every numpy
    temporary above that (a batch of 512 boxes through a layer of 50: 200 KiB) is a fresh
    mmap and page faults: the neural engine's bounds ran 2-3x slower on a Dask worker
    than in a local process.  Here mmap starts at 32 MiB and trimming at 128 MiB."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 128 * 2**20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to undo
        pass


def _as_completed(
    futures: dict[Future[R], int], tick: Callable[[], None] | None
) -> Generator[tuple[int, R], None, None]:
    try:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if tick is not None:
                tick()
            for future in sorted(done, key=futures.__getitem__):
                yield futures[future], future.result()
    finally:
        for future in futures:
            future.cancel()  # a no-op for finished ones; a Dask task is cancelled too


@contextmanager
def messages(where: Pool) -> Iterator[tuple[Any, Any]]:
    """A channel from tasks back to this process, for the progress line: ``(sender,
    receiver)``.  A task calls ``sender.put(item)``; here ``receiver.get_nowait()`` returns
    the items (``queue.Empty`` when none is waiting).  On local processes it is a
    multiprocessing manager's queue; on Dask, the workers' event log (an item must be made
    of strings, numbers, lists: it arrives as a tuple)."""
    if where.executor is None:
        here: queue.SimpleQueue[Any] = queue.SimpleQueue()
        yield here, here
    elif where.remote:
        topic = f"alignspec-{uuid.uuid4().hex}"
        arrived: queue.SimpleQueue[Any] = queue.SimpleQueue()

        def receive(event: tuple[float, Any]) -> None:
            item = event[1]
            arrived.put(tuple(item) if isinstance(item, list) else item)

        where.client.subscribe_topic(topic, receive)
        try:
            yield _WorkerEvents(topic), arrived
        finally:
            where.client.unsubscribe_topic(topic)
    else:
        import multiprocessing

        manager = multiprocessing.Manager()
        try:
            shared = manager.Queue()
            yield shared, shared
        finally:
            manager.shutdown()


@attrs.frozen
class _WorkerEvents:
    """What a task on a Dask worker sends its messages through: the worker's event log
    under ``topic``, relayed by the scheduler to the client subscribed to it."""

    topic: str

    def put(self, item: Any) -> None:
        from distributed import get_worker

        try:
            worker = get_worker()
        except ValueError:  # not on a worker (a task run in the client): nobody to tell
            return
        worker.log_event(self.topic, item)


def batches(items: Sequence[T], count: int) -> list[list[T]]:
    """``items`` in at most ``count`` contiguous batches of near-equal size, in order
    (work units big enough to pay for their trip, enough of them to balance)."""
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    out, start = [], 0
    for b in range(count):
        end = start + size + (1 if b < extra else 0)
        out.append(list(items[start:end]))
        start = end
    return [b for b in out if b]


def lost(err: BaseException) -> bool:
    """Did a task fail because its worker was lost (not because its own code raised)?"""
    if isinstance(err, (BrokenExecutor, FutureTimeout, OSError)):
        return True
    if "distributed" in sys.modules:  # Dask gave up on a task whose workers kept dying
        from distributed.scheduler import KilledWorker

        return isinstance(err, KilledWorker)
    return False


def _max_workers(executor: Executor, default: int) -> int:
    found = getattr(executor, "_max_workers", None)
    return found if isinstance(found, int) and found > 0 else default


@contextmanager
def _processes(jobs: int) -> Iterator[Pool]:
    """Local worker processes that ignore Ctrl-C: the terminal sends it to them too, and
    this process stops them itself (no worker tracebacks, no waiting for their checks)."""
    executor = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_sigint)
    try:
        yield Pool(executor, jobs, "processes")
    except BaseException:
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    executor.shutdown()


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(
            "running on a Dask cluster needs dask.distributed: pip install 'alignspec[dask]'"
        ) from None
    return distributed


def _is_dask_client(obj: object) -> bool:
    module = sys.modules.get("distributed")
    return module is not None and isinstance(obj, module.Client)


def _client_pool(client: Any) -> Pool:
    """A pool on a Dask client's cluster: one task per worker thread at once; ``pure=False``
    gives every submission its own task (two equal calls are two runs, not one cached)."""
    workers = client.scheduler_info().get("workers", {})
    if not workers:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except Exception:
            raise ClusterError(
                f"the Dask scheduler {client.scheduler.address} has no workers after "
                f"{CONNECT_TIMEOUT:g} s: start some with `dask worker "
                f"{client.scheduler.address}`"
            ) from None
        workers = client.scheduler_info().get("workers", {})
    threads = sum(int(w.get("nthreads", 1)) for w in workers.values())
    return Pool(client.get_executor(pure=False), max(1, threads), "dask", client)


@contextmanager
def _dask(address: str, jobs: int) -> Iterator[Pool]:
    """A Client of the scheduler at ``address``, or of a LocalCluster of ``jobs`` worker
    processes for ``"dask"``; closed on leaving (outstanding tasks cancelled)."""
    distributed = _distributed()
    if address != "dask" and ":" not in address:
        raise OptionError(
            f"scheduler {address!r}: give an address such as tcp://host:8786 "
            "(or 'dask' for a local cluster)"
        )
    cluster = None
    try:
        if address == "dask":
            # The workers start with Ctrl-C ignored (exec keeps that): the terminal sends it
            # to them too, and they died one by one with tracebacks; this process stops
            # them itself.  Here Ctrl-C is blocked meanwhile, not lost: it is raised once
            # the handler and mask are back, with ``cluster`` set, so it gets closed.
            masked = _block_sigint()
            handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                import dask

                # No dashboard shows the workers' statistical profile, and its sampling
                # thread costs each worker a few percent of a core, busy or idle.
                with dask.config.set({"distributed.worker.profile.enabled": False}):
                    cluster = distributed.LocalCluster(
                        n_workers=jobs,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=40,  # logging.ERROR: no start-up chatter on stderr
                    )
            except (RuntimeError, OSError) as err:  # Dask says only "Nanny failed to start"
                raise ClusterError(
                    f"a Dask LocalCluster of {jobs} worker(s) could not start ({err}): its "
                    "workers are fresh interpreters that import the main script again, so "
                    "a script that starts one must keep its work under "
                    "`if __name__ == '__main__':` (and cannot be read from stdin)"
                ) from None
            finally:
                signal.signal(signal.SIGINT, handler)
                _restore(masked)
        try:
            client = distributed.Client(
                cluster if cluster is not None else address,
                timeout=CONNECT_TIMEOUT,
                set_as_default=False,
            )
        except (OSError, TimeoutError) as err:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {address} ({err}): start one with "
                f"`dask scheduler` and workers with `dask worker {address} --nthreads 1`"
            ) from None
        opened: Pool | None = None
        try:
            if cluster is not None:
                client.wait_for_workers(jobs, timeout=CONNECT_TIMEOUT)
            opened = _client_pool(client)
            yield opened
        except BaseException:
            if opened is not None and opened.executor is not None:
                opened.executor.shutdown(wait=False)  # cancel what has not finished
            raise
        finally:
            client.close()
    finally:
        if cluster is not None:
            try:
                cluster.close(timeout=10)
            except Exception:  # pragma: no cover - a worker that will not stop: the OS reaps it
                pass


def _block_sigint() -> object:
    if hasattr(signal, "pthread_sigmask"):
        return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    return None  # pragma: no cover - Windows: no signal masks


def _restore(masked: object) -> None:
    if hasattr(signal, "pthread_sigmask") and masked is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, masked)  # type: ignore[arg-type]

"""One spec of a suite as a task: (target, options) -> Report, picklable so it can run on
any executor (this process, a local process pool, a Dask worker).

A task given a :class:`~alignspec.loader.Ref` instead of a target loads the target by
path where it runs (:func:`alignspec.loader.fetch`): a cluster's workers get the file's
path, never a pickled spec whose policy functions exist only in this process.
"""

from __future__ import annotations

from typing import Any

import attrs

from alignspec.learned import Learned
from alignspec.loader import Ref, Target, fetch
from alignspec.mdp.spec import MDPSpec, Trajectories
from alignspec.results import Report
from alignspec.runner import applicable, applicable_inner, check
from alignspec.solver import Budget


class Task:
    """A picklable (spec -> Report) task, so specs can run on any Executor.  ``events``,
    when given, receives ``(spec label, check name)`` as each check starts (a queue
    proxy when the task runs in a worker process)."""

    def __init__(
        self,
        budget: Budget,
        samples: int,
        points: int,
        checks: tuple[str, ...] | None,
        events: Any = None,
    ) -> None:
        self.budget, self.samples, self.points, self.checks = budget, samples, points, checks
        self.events = events

    def reporting_to(self, events: Any) -> Task:
        return Task(self.budget, self.samples, self.points, self.checks, events)

    def __call__(self, target: Target | Ref) -> Report:
        if isinstance(target, Ref):
            target = fetch(target)
        checks = None
        if self.checks is not None:
            checks = [c for c in default_checks(target) if c in self.checks]
        on_check = None
        if self.events is not None:
            events, label = self.events, target.label

            def on_check(name: str) -> None:
                events.put((label, name))

        if isinstance(target, MDPSpec):
            return check(target, checks=checks, budget=self.budget, on_check=on_check)
        if isinstance(target, (Trajectories, Learned)):
            return check(
                target, checks=checks, budget=self.budget, samples=self.samples, on_check=on_check
            )
        return check(
            target,
            checks=checks,
            budget=self.budget,
            samples=self.samples,
            points=self.points,
            on_check=on_check,
        )


def default_checks(target: Target) -> tuple[str, ...]:
    """The checks a target runs when none are named."""
    if isinstance(target, MDPSpec):
        return target.checks + (("forbidden",) if target.forbid is not None else ())
    if isinstance(target, Trajectories):
        return ("bmc",)
    if isinstance(target, Learned):
        return applicable_inner(
            target.spec, train=target.train, deploy=target.deploy, oversight=target.oversight
        )
    return applicable(target)


@attrs.frozen
class Single:
    """One check of a target (all of an MDP bundle's with ``check_name`` None), as the
    pytest plugin runs it: picklable, and given a :class:`Ref` it loads the target by path
    where it runs."""

    target: Target | Ref
    check_name: str | None

    def __call__(self) -> Report:
        target = fetch(self.target) if isinstance(self.target, Ref) else self.target
        return check(target, checks=[self.check_name]) if self.check_name else check(target)


def run_single(work: Single) -> Report:
    """``work()``: the function an executor is handed."""
    from alignspec.execution import roomy_malloc

    roomy_malloc()
    return work()

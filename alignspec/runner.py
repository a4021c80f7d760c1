"""Run every applicable check on a spec: one independent task per (spec, options)."""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from alignspec import registry
from alignspec.engine import SAMPLES
from alignspec.errors import OptionError, SpecError
from alignspec.execution import Pool, completed, pool
from alignspec.inner import optimality, oversight, shift, verify
from alignspec.learned import Learned
from alignspec.mdp.spec import MDPSpec, Trajectories
from alignspec.outer import goodhart_curve, hacking, inversion, requirements
from alignspec.policy.base import Policy
from alignspec.results import Finding, Report
from alignspec.solver import Budget, isolated
from alignspec.spec import Spec

OUTER = registry.names("outer")
INNER = registry.names("inner")
#: The checks of a Spec (with a policy: and of a Learned bundle).
CHECKS = OUTER + INNER
#: Every check a target can run, for ``--checks``: specs, learned policies, MDPs, systems.
ALL_CHECKS = registry.names()


def applicable(spec: Spec) -> tuple[str, ...]:
    """The outer checks whose inputs the spec provides, in a fixed order."""
    has_r, has_u, has_req = (
        spec.objective is not None,
        spec.utility is not None,
        bool(spec.requirements),
    )
    wanted = {
        "inversion": has_r and has_u,
        "hacking": has_r and (has_u or has_req),
        "requirements": has_r and has_req,
        "goodhart_curve": has_r and has_u,
    }
    return tuple(name for name in OUTER if wanted[name])


def applicable_inner(
    spec: Spec, *, train: object = None, deploy: object = None, oversight: str | None = None
) -> tuple[str, ...]:
    """The inner checks that a policy with these regions and flag can be put through."""
    names = []
    if spec.requirements:
        names.append("verify")
    if spec.objective is not None or spec.utility is not None:
        names.append("shift" if train is not None and deploy is not None else "optimality")
    if oversight is not None:
        names.append("oversight")
    return tuple(names)


def check(
    spec: Spec | Learned | MDPSpec | Trajectories,
    *,
    policy: Policy | None = None,
    train: object = None,
    deploy: object = None,
    oversight: str | None = None,
    checks: Sequence[str] | None = None,
    budget: Budget | None = None,
    samples: int | None = None,
    points: int | None = None,
    on_check: Callable[[str], None] | None = None,
    executor: object = None,
) -> Report:
    """Run the applicable checks (or the named ``checks``) and combine them in a Report.

    With ``policy``, the inner checks run too: ``verify`` (requirements, on ``deploy`` or
    everywhere), ``shift`` (given ``train`` and ``deploy``; otherwise ``optimality`` on
    ``train`` or everywhere, against the reward or else the intended utility) and, given
    an ``oversight`` flag, ``oversight`` (strategic compliance when the spec has
    requirements).  A :class:`Learned` runs its inner checks only; an ``MDPSpec`` runs
    regret, hackable (and forbidden), a ``Trajectories`` bounded model checking.  The
    Report's verdict is the worst of its findings (VIOLATED > UNKNOWN > PROVED).

    Every argument is honoured or refused: a bundle that carries its own policy, regions
    or question raises :class:`OptionError` for the arguments it cannot take
    (``samples`` default 50, ``points`` default 20).

    ``on_check`` is called with each check's name just before it starts (an MDP bundle's
    checks run together: it is called once, with their names joined), for progress displays;
    with an ``executor``, as each check is handed out.

    ``executor`` runs the checks as separate tasks: a ``distributed.Client``, a scheduler
    address (``"tcp://host:8786"``), ``"dask"`` for a LocalCluster, or any
    ``concurrent.futures.Executor`` (see :mod:`alignspec.execution`).  The spec travels
    pickled (Dask uses cloudpickle for what a script defines); the Report is the one this
    process would give, its findings in the same order.  An MDP bundle's checks are a
    task each; a Trajectories question is one task.
    """
    options: dict[str, Any] = dict(
        policy=policy,
        train=train,
        deploy=deploy,
        oversight=oversight,
        checks=checks,
        budget=budget,
        samples=samples,
        points=points,
    )
    note = on_check if on_check is not None else _quiet
    if executor is None:
        return _check(spec, _Runs(note), **options)
    with pool(executor) as where:
        return _check(spec, _Runs(note, where), **options)


def _check(
    spec: Spec | Learned | MDPSpec | Trajectories,
    runs: _Runs,
    *,
    policy: Policy | None,
    train: object,
    deploy: object,
    oversight: str | None,
    checks: Sequence[str] | None,
    budget: Budget | None,
    samples: int | None,
    points: int | None,
) -> Report:
    note = runs.note
    given = {
        "policy": policy is not None,
        "train": train is not None,
        "deploy": deploy is not None,
        "oversight": oversight is not None,
        "samples": samples is not None,
        "points": points is not None,
    }
    if isinstance(spec, MDPSpec):
        _refuse(
            spec.label,
            "an MDPSpec (policies, regions, sampling and curve points do not apply to it)",
            given,
            takes=(),
        )
        names = spec.check_names(checks)
        note(", ".join(names))
        if not runs.shared(spec):
            return _call(functools.partial(spec.check, checks=names, budget=budget))
        # on a pool each check is a task (they share nothing but the model, which travels)
        parts = runs.each([functools.partial(spec.check, checks=[n], budget=budget) for n in names])
        return Report(
            spec.label, tuple(f for p in parts for f in p.findings), spec.expect, spec.source
        )
    if isinstance(spec, Trajectories):
        note("bmc")
        return _trajectories(spec, given, checks, budget, samples, runs)
    samples = SAMPLES if samples is None else samples
    if isinstance(spec, Learned):
        _refuse(
            spec.label,
            "a Learned bundle (it carries its policy, regions and oversight flag; curve "
            "points are for specs)",
            given,
            takes=("samples",),
        )
        return _learned(spec, checks, budget, samples, runs)
    if not isinstance(spec, Spec):
        raise SpecError(f"check() takes an alignspec.Spec, got {type(spec).__name__}")
    names = (
        tuple(checks)
        if checks is not None
        else applicable(spec)
        + (
            applicable_inner(spec, train=train, deploy=deploy, oversight=oversight)
            if policy is not None
            else ()
        )
    )
    unknown_names = [n for n in names if n not in CHECKS]
    if unknown_names:
        raise OptionError(f"unknown check(s) {unknown_names}; choose from {list(CHECKS)}")
    outer_names = [n for n in names if n in OUTER]
    findings = _outer(spec, outer_names, budget, samples, 20 if points is None else points, runs)
    wanted_inner = [n for n in names if n in INNER]
    if wanted_inner:
        if policy is None:
            raise OptionError(f"check(s) {wanted_inner} need a policy: check(spec, policy=...)")
        findings += _inner(
            spec, policy, wanted_inner, train, deploy, oversight, budget, samples, runs
        )
    return Report(spec.label, findings, spec.expect, spec.source)


def _trajectories(
    question: Trajectories,
    given: dict[str, bool],
    checks: Sequence[str] | None,
    budget: Budget | None,
    samples: int | None,
    runs: _Runs,
) -> Report:
    _refuse(
        question.label,
        "a Trajectories question (set its policy on it; regions and curve points do not apply)",
        given,
        takes=("samples",),
    )
    if checks is not None and tuple(checks) not in ((), ("bmc",)):
        raise OptionError(
            f"{question.label!r} is a Trajectories question: its only check is 'bmc', "
            f"not {list(checks)}"
        )
    if checks is not None and not checks:
        return Report(question.label, (), question.expect, question.source)
    chosen = SAMPLES if samples is None else samples
    return runs.whole(functools.partial(question.check, budget=budget, samples=chosen))


def _quiet(name: str) -> None:
    """The default ``on_check``: no progress display."""


def _learned(
    learned: Learned,
    checks: Sequence[str] | None,
    budget: Budget | None,
    samples: int,
    runs: _Runs,
) -> Report:
    names = (
        tuple(checks)
        if checks is not None
        else applicable_inner(
            learned.spec, train=learned.train, deploy=learned.deploy, oversight=learned.oversight
        )
    )
    found = _inner(
        learned.spec,
        learned.policy,
        names,
        learned.train,
        learned.deploy,
        learned.oversight,
        budget,
        samples,
        runs,
    )
    return Report(learned.label, found, learned.expect, learned.source)


def _outer(
    spec: Spec,
    names: Sequence[str],
    budget: Budget | None,
    samples: int,
    points: int,
    runs: _Runs,
) -> tuple[Finding, ...]:
    return runs.jobs(
        [_Job(spec, name, budget=budget, samples=samples, points=points) for name in names]
    )


@attrs.frozen
class _Job:
    """One check of a spec: a picklable task for an executor."""

    spec: Spec
    name: str
    policy: Policy | None = None
    train: object = None
    deploy: object = None
    oversight: str | None = None
    budget: Budget | None = None
    samples: int = SAMPLES
    points: int = 20


def _finding(job: _Job) -> Finding:
    """Run one check (the unit :func:`check` hands an executor) on a fresh z3 context, so
    its Finding does not depend on what ran before it in the process."""
    with isolated():
        return _decide(job)


def _decide(job: _Job) -> Finding:
    spec, budget, samples = job.spec, job.budget, job.samples
    if job.name == "inversion":
        return inversion(spec, budget=budget, samples=samples)
    if job.name == "hacking":
        return hacking(spec, budget=budget, samples=samples)
    if job.name == "requirements":
        return requirements(spec, budget=budget, samples=samples)
    if job.name == "goodhart_curve":
        return goodhart_curve(spec, points=job.points, budget=budget)
    policy = job.policy
    assert policy is not None  # the inner checks were validated to have one
    if job.name == "verify":
        return verify(policy, spec, job.deploy, budget=budget, samples=samples)
    if job.name == "optimality":
        target = spec.objective if spec.objective is not None else spec.utility
        assume = [e for _, e in spec.assumptions]
        return optimality(policy, target, job.train, assume=assume, budget=budget, samples=samples)
    if job.name == "shift":
        return shift(
            policy, spec, train=job.train, deploy=job.deploy, budget=budget, samples=samples
        )
    return oversight(
        policy,
        spec if spec.requirements else None,
        job.deploy,
        flag=job.oversight,
        budget=budget,
        samples=samples,
    )


@attrs.frozen
class _Runs:
    """How :func:`check` runs its checks: here, one after another, or as tasks on a pool
    (each check one task; results put back in the order of the checks)."""

    note: Callable[[str], None]
    where: Pool | None = None

    def jobs(self, jobs: Sequence[_Job]) -> tuple[Finding, ...]:
        where = self.where
        if where is None or where.executor is None or not _travels(where, jobs):
            out = []
            for job in jobs:
                self.note(job.name)
                out.append(_finding(job))
            return tuple(out)
        for job in jobs:
            self.note(job.name)
        found = dict(completed(where, _finding, jobs))
        return tuple(found[i] for i in range(len(jobs)))

    def whole(self, work: Callable[[], Report]) -> Report:
        """A bundle whose checks run together: one task."""
        return self.each([work])[0] if self.shared(work) else _call(work)

    def shared(self, obj: object) -> bool:
        """Will work made of ``obj`` go to the pool (there is one, and ``obj`` reaches it)?"""
        where = self.where
        return where is not None and where.executor is not None and _travels(where, obj)

    def each(self, works: Sequence[Callable[[], Report]]) -> list[Report]:
        """Reports of ``works`` run as tasks on the pool, in the order of ``works``."""
        assert self.where is not None
        found = dict(completed(self.where, _call, works))
        return [found[i] for i in range(len(works))]


def _call(work: Callable[[], Report]) -> Report:
    with isolated():
        return work()


def _travels(where: Pool, obj: object) -> bool:
    """Can ``obj`` reach the pool's workers?  Dask pickles what plain pickle cannot (a
    lambda policy, say) with cloudpickle; a local process pool needs plain pickle, and
    what does not pickle runs here instead."""
    if where.remote:
        return True
    try:
        pickle.dumps(obj)
    except Exception:
        return False
    return True


def _refuse(label: str, what: str, given: dict[str, bool], takes: tuple[str, ...]) -> None:
    """OptionError for the arguments a target cannot take (never ignore one silently)."""
    refused = [name for name, was in given.items() if was and name not in takes]
    if refused:
        raise OptionError(f"check({label!r}, ...): {', '.join(refused)} cannot be given for {what}")


def _inner(
    spec: Spec,
    policy: Policy,
    names: Sequence[str],
    train: object,
    deploy: object,
    oversight_flag: str | None,
    budget: Budget | None,
    samples: int,
    runs: _Runs,
) -> tuple[Finding, ...]:
    for name in names:
        if name not in CHECKS:
            raise OptionError(f"unknown check {name!r}; choose from {list(CHECKS)}")
        if name not in INNER:
            raise OptionError(f"{name!r} is not an inner check; choose from {list(INNER)}")
        if name == "oversight" and oversight_flag is None:
            raise OptionError("the oversight check needs oversight='<Bool state variable>'")
    return runs.jobs(
        [_Job(spec, name, policy, train, deploy, oversight_flag, budget, samples) for name in names]
    )

"""Bundles for spec files: an MDP with its specified and intended rewards, and a
transition system with the trajectory question to ask of it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from alignspec import registry
from alignspec.checking.deadline import OutOfTime, within
from alignspec.engine import SAMPLES
from alignspec.errors import OptionError, SpecError
from alignspec.mdp._bmc import bmc
from alignspec.mdp._epic import epic
from alignspec.mdp._equivalent import equivalent
from alignspec.mdp._forbidden import forbidden
from alignspec.mdp._hackable import hackable
from alignspec.mdp._regret import regret
from alignspec.mdp.model import MDP, reward_table
from alignspec.mdp.system import TransitionSystem
from alignspec.policy.base import Policy
from alignspec.results import Finding, Report, Verdict
from alignspec.solver import Budget
from alignspec.spec import Expect, _caller

#: The checks an MDPSpec can run.
MDP_CHECKS = registry.names("mdp")


def _expect(instance: Any, attribute: Any, value: object) -> None:
    if value not in (None, "aligned", "misaligned"):
        raise OptionError(f"expect={value!r}; use 'aligned', 'misaligned' or None")


@attrs.frozen
class MDPSpec:
    """An MDP, the reward we wrote (``specified``) and the one we meant (``intended``), and
    optionally ``forbid``: states the optimised behaviour must never reach (a predicate or
    a collection of states)."""

    mdp: MDP
    specified: Any
    intended: Any
    forbid: Any = None
    checks: tuple[str, ...] = ("regret", "hackable")
    name: str | None = None
    expect: Expect | None = attrs.field(default=None, validator=_expect)
    source: tuple[str, int] | None = attrs.field(
        factory=_caller, eq=False, repr=False, kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        unknown = [c for c in self.checks if c not in MDP_CHECKS or c == "forbidden"]
        if unknown:
            raise OptionError(
                f"MDPSpec checks {unknown}: choose from regret, hackable, equivalent "
                "(forbidden runs when forbid= is given)"
            )
        if not isinstance(self.mdp, MDP):
            raise SpecError(f"MDPSpec needs an alignspec.mdp.MDP, got {self.mdp!r}")
        reward_table(self.mdp, self.specified, "specified reward")  # validate early
        reward_table(self.mdp, self.intended, "intended reward")

    @property
    def label(self) -> str:
        return self.name or "<unnamed MDP spec>"

    def check_names(self, checks: Sequence[str] | None = None) -> tuple[str, ...]:
        """The checks :meth:`check` runs for ``checks`` (refused: names it does not know,
        and forbidden without ``forbid``)."""
        names = (
            tuple(checks)
            if checks is not None
            else self.checks + (("forbidden",) if self.forbid is not None else ())
        )
        unknown = [c for c in names if c not in MDP_CHECKS]
        if unknown:
            raise OptionError(
                f"unknown MDP check(s) {unknown} for {self.label!r}; choose from {list(MDP_CHECKS)}"
            )
        if "forbidden" in names and self.forbid is None:
            raise OptionError(f"the forbidden check needs MDPSpec(forbid=...) ({self.label!r})")
        return names

    def check(self, checks: Sequence[str] | None = None, budget: Budget | None = None) -> Report:
        """The named ``checks`` (default: the bundle's own, plus forbidden when ``forbid`` is
        given), with ``budget`` for the ones that query a solver."""
        names = self.check_names(checks)
        m, rs, ri = self.mdp, self.specified, self.intended
        runners: dict[str, Callable[[], Finding]] = {
            "regret": lambda: regret(m, rs, ri, budget=budget),
            "hackable": lambda: hackable(m, rs, ri, budget=budget),
            "equivalent": lambda: _equivalent_with_epic(m, rs, ri, budget),
            "forbidden": lambda: forbidden(m, rs, self.forbid, budget=budget),
        }
        findings = tuple(attrs.evolve(runners[c](), subject=self.label) for c in names)
        return Report(self.label, findings, self.expect, self.source)


def _equivalent_with_epic(
    mdp: MDP, specified: Any, intended: Any, budget: Budget | None = None
) -> Finding:
    # equivalent(mdp, r1, r2) reads r1 as the specified reward in its witness (as hackable)
    finding = equivalent(mdp, specified, intended, budget=budget)
    try:
        with within(budget):
            distance = epic(mdp, specified, intended)
    except OutOfTime as late:
        return attrs.evolve(
            finding, message=f"{finding.message}; EPIC distance not computed: {late}"
        )
    figures = dict(finding.figures)
    figures.update(distance.figures)
    zero = distance.verdict is Verdict.PROVED
    extra = "0 (exact)" if zero else f"{distance.figures['epic_distance']:.4g}"
    message = f"{finding.message}; EPIC distance {extra}"
    return attrs.evolve(finding, figures=figures, message=message)


@attrs.frozen
class Trajectories:
    """A bounded-model-checking question about a transition system (see ``bmc``);
    ``horizon=None`` asks for safety for every horizon (an inductive invariant);
    ``error`` (a ``ModelError``) for safety of every dynamics within it."""

    system: TransitionSystem
    specified: Any = None
    intended: Any = None
    horizon: int | None = 10
    reach: Any = None
    below: Any = None
    require: tuple[Any, ...] = ()
    gamma: Any = 1
    policy: Policy | None = None
    error: Any = None
    name: str | None = None
    expect: Expect | None = attrs.field(default=None, validator=_expect)
    source: tuple[str, int] | None = attrs.field(
        factory=_caller, eq=False, repr=False, kw_only=True
    )

    @property
    def label(self) -> str:
        return self.name or self.system.name or "<unnamed system>"

    def check(self, budget: Budget | None = None, samples: int = SAMPLES) -> Report:
        """Bounded model checking of the bundle's question, within ``budget``."""
        finding = bmc(
            self.system,
            self.specified,
            self.intended,
            horizon=self.horizon,
            reach=self.reach,
            below=self.below,
            require=self.require,
            gamma=self.gamma,
            policy=self.policy,
            budget=budget,
            samples=samples,
            error=self.error,
        )
        finding = attrs.evolve(finding, subject=self.label)
        return Report(self.label, (finding,), self.expect, self.source)

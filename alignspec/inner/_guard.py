"""Network outputs that leave the declared action bounds: a guard every inner check runs first."""

from __future__ import annotations

import attrs
import sympy
from sympy.core.parameters import evaluate

from alignspec.actions import action_space
from alignspec.checking.links import input_box
from alignspec.checking.run import Clock, decided, show
from alignspec.engine import Search, search
from alignspec.inner._search import _sample, network_search
from alignspec.policy.base import Policy
from alignspec.policy.mlp import MLPPolicy
from alignspec.replay import replays
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget, Problem
from alignspec.space import Real, Space
from alignspec.symbolic.rename import at


def output_guard(
    policy: Policy, cond: sympy.Basic | None, budget: Budget, samples: int
) -> tuple[Search, Problem | None] | None:
    """For policies with action variables: a state of the region where the policy's output
    leaves the declared action bounds.  Checks link the action variables to the output
    while the bounds still apply, so such states would otherwise drop out of every query
    silently.  None when no output can leave its bounds (finite actions, or nothing to ask).
    """
    if policy.finite:
        return None
    if isinstance(policy, MLPPolicy):
        return _network_guard(policy, cond, budget, samples)
    outputs = policy.outputs
    if not outputs:
        return None
    bounds = action_space(policy.actions).variables
    escapes = []
    with evaluate(False):
        for name, expr in outputs.items():
            var = bounds[name]
            lo, hi = (sympy.Rational(str(var.lo)), sympy.Rational(str(var.hi)))  # type: ignore[union-attr]
            escapes.append(sympy.Or(expr < lo, expr > hi))
        constraints = (
            ("output outside the action bounds", at(sympy.Or(*escapes), policy.space, "s")),
        ) + (() if cond is None else (("region", at(cond, policy.space, "s")),))
    problem = Problem({"s": policy.space}, constraints)
    return search(problem, budget, samples), problem


def _network_guard(
    policy: MLPPolicy, cond: sympy.Basic | None, budget: Budget, samples: int
) -> tuple[Search, Problem | None] | None:
    """The output guard of a network with action variables: the outputs get bounds wide
    enough for every output over the region's box (sound interval bounds), and the query
    asks for one outside the declared bounds; a model counts once the network's exact
    evaluation at its state confirms the escape."""
    box = input_box(policy, cond, budget)
    if box is None:
        return None  # the region is empty: nothing can escape
    declared = action_space(policy.actions).variables
    reach = policy.network.bounds(box)[-1]
    wide: dict[str, Real] = {}
    escapes = []
    with evaluate(False):
        for name, (lo, hi) in zip(policy.action_names, reach, strict=True):
            var = declared[name]
            assert isinstance(var, Real)  # network outputs are Real action variables
            if var.lo <= lo and hi <= var.hi:
                wide[name] = var
                continue
            wide[name] = Real(min(lo, var.lo), max(hi, var.hi))
            a = policy.actions.symbols[name]  # type: ignore[union-attr]
            escapes.append(
                sympy.Or(a < sympy.Rational(str(var.lo)), a > sympy.Rational(str(var.hi)))
            )
        if not escapes:  # the exact interval bounds already keep every output inside
            return Search("none", method="bounds"), None
        space = Space(**policy.space.variables, **wide)
        constraints = (
            ("output outside the action bounds", at(sympy.Or(*escapes), space, "s")),
        ) + (() if cond is None else (("region", at(cond, space, "s")),))
    problem = Problem({"s": space}, constraints, (policy.link("s", box),))
    result = network_search(problem, budget)
    if result.states is not None:
        state = policy.with_action(result.states["s"])
        if not replays(problem, {"s": state}):
            result = Search(
                "unknown",
                reason="replay failed: the network's exact output at "
                f"{show(policy.state_of(state))} stays within the action bounds",
            )
        else:
            result = attrs.evolve(result, states={"s": state})
    if result.status == "unknown" and samples > 0:
        sampled = _sample(
            policy,
            attrs.evolve(problem, networks=()),
            lambda st: [{"s": policy.with_action(st)}],
            samples,
            budget,
        )
        if sampled.status == "found":
            result = sampled
        else:
            result = attrs.evolve(result, reason=f"{result.reason}; {sampled.reason}")
    return result, problem


@attrs.frozen
class Guard:
    """What the output guard found.  ``finding`` decides the check (an output leaves the
    action bounds); ``undecided`` says why the guard could not rule that out; ``ran`` says
    whether there was anything to guard."""

    finding: Finding | None = None
    undecided: str | None = None
    ran: bool = False

    def settle(self, finding: Finding) -> Finding:
        """The check's own finding, adjusted for the guard: never PROVED while the guard is
        undecided.  A PROVED that rests on the guard too keeps no single query (it took two),
        so certificates re-run the check instead of re-checking one query."""
        if finding.verdict is not Verdict.PROVED or not self.ran:
            return finding
        if self.undecided is None:
            return attrs.evolve(finding, query=None)
        reason = f"could not rule out outputs leaving the action bounds: {self.undecided}"
        return attrs.evolve(
            finding,
            verdict=Verdict.UNKNOWN,
            message=f"{finding.check} could not be decided: {reason}",
            reason=reason,
            query=None,
        )


def guarded(
    check: str,
    subject: str,
    policy: Policy,
    cond: sympy.Basic | None,
    budget: Budget,
    samples: int,
    clock: Clock,
) -> Guard:
    """Run the output guard: its Finding when an output leaves the action bounds."""
    guard = output_guard(policy, cond, budget, samples)
    if guard is None:
        return Guard()
    result, problem = guard
    if result.status == "none":
        return Guard(ran=True)
    if result.status == "unknown":
        return Guard(undecided=result.reason or "unknown", ran=True)
    return Guard(
        decided(
            check,
            subject,
            result,
            problem,
            clock,
            {},
            violated="the policy's output leaves the action bounds at this state:",
            proved="",
            values=lambda w: {},
        ),
        ran=True,
    )

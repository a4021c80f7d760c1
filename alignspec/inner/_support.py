"""What the inner checks share: regions, policy constraints, replay on the original policy,
and the sampling search that is all a black-box policy allows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import sympy
from hypothesis import strategies as st
from sympy.core.parameters import evaluate

from alignspec.actions import action_space
from alignspec.checking.links import input_box, link, policy_name
from alignspec.checking.run import Clock, decided, show
from alignspec.engine import Search, search, simplify
from alignspec.errors import OutsidePolicyError, SpecError
from alignspec.policy.base import Policy
from alignspec.policy.extract import ExtractedPolicy
from alignspec.policy.mlp import MLPPolicy
from alignspec.replay import replays
from alignspec.results import Finding, Verdict
from alignspec.sampling import OutOfTime, sample
from alignspec.solver import Budget, Problem
from alignspec.space import Bool, Real, Space, State
from alignspec.spec import Intent, Labelled, Reward, Spec
from alignspec.strategies import states
from alignspec.symbolic.evaluate import holds, value_of
from alignspec.symbolic.rename import at
from alignspec.symbolic.shape import checked

Candidates = Callable[[State], Iterable[dict[str, State]]]


def region(policy: Policy, cond: object, what: str = "region") -> sympy.Basic | None:
    """A region of states: a condition over the policy's state variables (None: everywhere)."""
    if cond is None:
        return None
    return checked(cond, policy.space, what, condition=True)


def objective(policy: Policy, obj: object, what: str = "objective") -> sympy.Basic:
    """An objective over states and actions: an expression, a Reward, or an Intent's utility."""
    if isinstance(obj, Reward):
        obj = obj.expr
    elif isinstance(obj, Intent):
        if obj.utility is None:
            raise SpecError(f"{what}: the Intent has no utility to optimise")
        obj = obj.utility
    return checked(obj, policy.domain, what, condition=False)


def conditions(policy: Policy, conds: Iterable[object], what: str) -> tuple[sympy.Basic, ...]:
    return tuple(
        checked(c, policy.domain, f"{what}[{i}]", condition=True) for i, c in enumerate(conds)
    )


def compatible(policy: Policy, spec: Spec) -> None:
    """The spec must speak about the policy's states and actions."""
    if not isinstance(policy, Policy):
        raise SpecError(f"expected an alignspec policy, got {type(policy).__name__}")
    if dict(spec.space.variables) != dict(policy.space.variables):
        raise SpecError(
            f"spec {spec.label!r} and policy {policy_name(policy)} have different "
            f"state spaces: {dict(spec.space.variables)} vs "
            f"{dict(policy.space.variables)}"
        )
    if spec.actions is not None and spec.domain.variables != policy.domain.variables:
        raise SpecError(
            f"spec {spec.label!r} and policy {policy_name(policy)} have different "
            f"actions: {spec.actions!r} vs {policy.actions!r}"
        )


def with_requirements(policy: Policy, spec: Spec, check: str) -> None:
    """The spec fits the policy and has requirements to check, or a SpecError says why."""
    compatible(policy, spec)
    if not spec.requirements:
        raise SpecError(
            f"{check} needs requirements (Intent(require=[...])); spec {spec.label!r} has none"
        )


def spec_at(policy: Policy, labelled: Labelled, role: str) -> Labelled:
    return tuple((f"{role}: {label}", at(e, policy.domain, role)) for label, e in labelled)


def where(policy: Policy, cond: sympy.Basic | None, role: str, label: str) -> Labelled:
    return () if cond is None else ((f"{role}: {label}", at(cond, policy.domain, role)),)


def same_state(policy: Policy, a: str, b: str, *, but: Sequence[str] = ()) -> Labelled:
    symbols = policy.domain.symbols
    out = []
    with evaluate(False):
        for name, var in policy.space.variables.items():
            if name in but:
                continue
            x, y = at(symbols[name], policy.domain, a), at(symbols[name], policy.domain, b)
            same = sympy.Equivalent(x, y) if isinstance(var, Bool) else sympy.Eq(x, y)
            out.append((f"same {name} in {a} and {b}", same))
    return tuple(out)


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


def network_search(problem: Problem, budget: Budget) -> Search:
    """Decide a query with network links by branch and bound (:mod:`alignspec.neural`)."""
    from alignspec.neural.bab import decide

    outcome = decide(problem, budget)
    stats = {**outcome.search.stats, "proved_share": round(outcome.closed, 6)}
    return attrs.evolve(outcome.search, stats=stats)


def policy_search(
    policy: Policy,
    problem: Problem,
    policy_roles: Sequence[str],
    candidates: Candidates | None,
    budget: Budget,
    samples: int,
    region_cond: sympy.Basic | None = None,
) -> tuple[Search, Problem | None]:
    """Decide ``problem`` with the policy fixing the action in ``policy_roles``; returns the
    answer and the query that decided it (None for black boxes, which are only sampled).

    Formula policies join the query as their rule, ReLU networks as network links with
    exact neuron bounds over the region's input box.  A model counts only once the original
    policy, evaluated exactly at each state, takes the model's action.  When the solver
    gives up, states are sampled and the policy's own action is taken at each.  Black boxes
    are only sampled.
    """
    if isinstance(policy, ExtractedPolicy):
        return _through_tree(
            policy, problem, policy_roles, candidates, budget, samples, region_cond
        )
    if policy.rule() is None and not isinstance(policy, MLPPolicy):
        return _sample(policy, problem, candidates, samples, budget), None
    linked = link(policy, problem, policy_roles, budget, region_cond)
    if linked is None:
        return Search("none"), problem  # the region holds no state at all
    links = linked.networks
    generic = samples if candidates is None and not links else 0
    result = network_search(linked, budget) if links else search(linked, budget, generic)
    if result.status == "unknown" and candidates is not None and samples > 0:
        sampled = _sample(policy, problem, candidates, samples, budget)
        result = (
            sampled
            if sampled.status == "found"
            else Search("unknown", reason=f"{result.reason}; {sampled.reason}", stats=result.stats)
        )
    if links:
        unstable = sum(link.unstable for link in links)
        result = attrs.evolve(result, stats={**result.stats, "unstable_neurons": unstable})
    if result.states is not None:
        for role in policy_roles:
            state = result.states[role]
            if policy.with_action(state) != state:
                failed = Search(
                    "unknown",
                    reason=f"replay failed: the policy's own evaluation at "
                    f"{show(policy.state_of(state))} disagrees with its encoding",
                )
                return failed, linked
        if links:

            def confirmed(states: dict[str, State]) -> bool:
                return replays(problem, states) and all(
                    policy.with_action(states[r]) == states[r] for r in policy_roles
                )

            result = attrs.evolve(result, states=simplify(result.states, confirmed))
    return result, linked


#: Tree witnesses refuted by the original policy before the search gives up.
MAX_ARTEFACTS = 5


def _through_tree(
    policy: ExtractedPolicy,
    problem: Problem,
    policy_roles: Sequence[str],
    candidates: Candidates | None,
    budget: Budget,
    samples: int,
    region_cond: sympy.Basic | None,
) -> tuple[Search, Problem | None]:
    """Search the extracted tree; keep a witness only if the original policy, acting at
    the same states, still violates.  A refuted witness blocks its tree leaf and the search
    goes on.  Nothing here proves anything about the original."""
    tree = policy.tree
    blocked, query = problem, None
    artefacts = 0
    result = Search("unknown")
    for _ in range(MAX_ARTEFACTS):
        result, query = policy_search(tree, blocked, policy_roles, None, budget, 0, region_cond)
        if result.status != "found" or result.states is None:
            break
        states = dict(result.states)
        for role in policy_roles:
            states[role] = policy.with_action(states[role])  # the original's action
        if replays(problem, states):
            return Search("found", states, method="extraction", stats=result.stats), query
        artefacts += 1
        with evaluate(False):
            blocked = blocked.with_(
                *[
                    (
                        f"{role}: outside refuted leaf {artefacts}",
                        sympy.Not(at(tree.path(result.states[role]), policy.domain, role)),
                    )
                    for role in policy_roles
                ]
            )
    if result.status == "none":
        reason = f"proved for the extracted tree only ({policy.describe()}), not for the original"
    elif result.status == "found":
        reason = f"the tree's witnesses kept failing on the original ({policy.describe()})"
    else:
        reason = f"the tree search was undecided: {result.reason}"
    if artefacts:
        reason += f"; {artefacts} tree witness(es) were extraction artefacts"
    stats = dict(result.stats)
    if result.status == "none":
        stats["tree_proved"] = 1
    if candidates is not None and samples > 0:
        sampled = _sample(policy, problem, candidates, samples, budget)
        if sampled.status == "found":
            return sampled, None
        reason += f"; {sampled.reason}"
        stats.update(sampled.stats)
    return Search("unknown", method="extraction", reason=reason, stats=stats), query


def _sample(
    policy: Policy,
    problem: Problem,
    candidates: Candidates | None,
    samples: int,
    budget: Budget | None = None,
) -> Search:
    if candidates is None:
        return Search(
            "unknown",
            method="sampling",
            reason="a black-box policy with action variables cannot be searched here; "
            "extract a tree (alignspec.extract) or give a symbolic policy",
        )
    hit: dict[str, State] = {}

    def violates(state: State) -> bool:
        try:
            for assignment in candidates(state):
                if replays(problem, assignment):
                    hit.clear()
                    hit.update(assignment)
                    return True
        except OutsidePolicyError:
            pass  # the policy does not act here: no behaviour to check
        return False

    sampled = states(policy.space)
    known = policy.known_states()
    if known:
        sampled = st.one_of(st.sampled_from(known), sampled)
    try:
        base = sample(sampled, violates, samples, budget)
    except OutOfTime:
        assert budget is not None
        return Search("unknown", method="sampling", reason=budget.timeout_reason)
    if base is None:
        return Search(
            "unknown",
            method="sampling",
            reason=f"sampling found no violation in {samples} states (sampling never proves)",
            stats={"sampled_without_violation": samples},
        )
    violates(base)  # the shrunk example's assignment
    return Search("found", dict(hit), method="sampling")


def describe(
    policy: Policy,
    witness: Mapping[str, State],
    objective_expr: sympy.Basic | None,
    spec: Spec | None = None,
) -> dict[str, dict[str, Any]]:
    """Exact values at each witness state: the objective and the requirement status."""
    out: dict[str, dict[str, Any]] = {}
    scope = policy.domain.variables
    for role, state in witness.items():
        values: dict[str, Any] = {}
        if objective_expr is not None:
            values["objective"] = value_of(objective_expr, scope, state)
        if spec is not None and spec.requirements:
            broken = [lbl for lbl, e in spec.requirements if not holds(e, scope, state)]
            values["requirements"] = "met" if not broken else "broken: " + "; ".join(broken)
        out[role] = values
    return out

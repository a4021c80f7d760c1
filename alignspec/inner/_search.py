"""Searching a policy's states: network queries through the neural engine, trees through
their leaves, black boxes by sampling; every witness replayed on the original policy."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import sympy
from hypothesis import strategies as st
from sympy.core.parameters import evaluate

from alignspec.checking.links import link
from alignspec.checking.run import show
from alignspec.engine import Search, search, simplify
from alignspec.errors import OutsidePolicyError
from alignspec.inner._support import Candidates
from alignspec.policy.base import Policy
from alignspec.policy.extract import ExtractedPolicy
from alignspec.policy.mlp import MLPPolicy
from alignspec.replay import replays
from alignspec.sampling import OutOfTime, sample
from alignspec.solver import Budget, Problem
from alignspec.space import State
from alignspec.strategies import states
from alignspec.symbolic.rename import at

#: Tree witnesses refuted by the original policy before the search gives up.
MAX_ARTEFACTS = 5


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

"""Can a policy optimal for the specified reward (ties included) reach a forbidden state?"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from alignspec import registry
from alignspec.checking.convention import about
from alignspec.checking.convention import mdp_label as _mdp_label
from alignspec.checking.run import Clock
from alignspec.mdp._common import timed
from alignspec.mdp.model import MDP, expected_rewards
from alignspec.mdp.returns import optimal_ties
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget

#: The checks an MDPSpec can run.
MDP_CHECKS = registry.names("mdp")


@about(_mdp_label)
@timed("forbidden")
def forbidden(
    mdp: MDP,
    specified: Any,
    forbid: Callable[[Hashable], bool] | Iterable[Hashable],
    *,
    budget: Budget | None = None,
) -> Finding:
    """Can some policy optimal for the specified reward reach a forbidden state (with
    positive probability)?  Exact: optimal values by exact policy iteration; every action
    whose exact Q-value equals the optimum is one an optimal policy may take (ties
    included), and the forbidden states are searched in the graph of those actions.
    VIOLATED gives the path with its actions; PROVED means no optimal policy gets there."""
    clock = Clock()
    bad = (
        {i for i, s in enumerate(mdp.states) if forbid(s)}
        if callable(forbid)
        else {mdp._idx(s, "forbidden state") for s in forbid}
    )
    r = expected_rewards(mdp, specified, "specified reward")
    _, _, ties = optimal_ties(mdp, r)  # every optimal action per state, exactly
    # only states the process can start in: an initial probability of 0 starts nowhere
    parent: dict[int, tuple[int, int] | None] = {s: None for s, p in mdp.init if p > 0}
    frontier = deque(parent)
    while frontier:
        s = frontier.popleft()
        if s in bad:
            steps: list[tuple[int, int]] = []  # (state, action taken there), backwards
            node = s
            while (link := parent[node]) is not None:
                steps.append(link)
                node = link[0]
            steps.reverse()
            route = " ".join(
                [f"{mdp.states[b]!r} -{mdp.actions[a]}->" for b, a in steps] + [repr(mdp.states[s])]
            )
            path = [mdp.states[b] for b, _ in steps] + [mdp.states[s]]
            return Finding(
                "forbidden",
                Verdict.VIOLATED,
                f"a specified-optimal policy reaches the forbidden state {mdp.states[s]!r}: "
                f"{route}",
                method="exact",
                witness={
                    "path": {str(i): str(n) for i, n in enumerate(path)},
                    "actions": {str(i): str(mdp.actions[a]) for i, (_, a) in enumerate(steps)},
                },
                elapsed=clock.elapsed,
            )
        if s in mdp.terminal:
            continue
        for a in ties[s]:  # only optimal actions: no optimal policy takes another here
            for s2, _ in mdp.P[s][a]:
                if s2 not in parent:
                    parent[s2] = (s, a)
                    frontier.append(s2)
    return Finding(
        "forbidden",
        Verdict.PROVED,
        "no policy optimal for the specified reward ever reaches a forbidden state (ties included)",
        method="exact",
        elapsed=clock.elapsed,
    )

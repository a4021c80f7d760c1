"""Can a policy optimal for the specified reward (ties included) reach a forbidden state?"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from alignspec import registry
from alignspec.checking.convention import about
from alignspec.checking.convention import mdp_label as _mdp_label
from alignspec.checking.run import Clock
from alignspec.mdp.model import MDP, expected_rewards
from alignspec.mdp.returns import optimal, q_values
from alignspec.results import Finding, Verdict

#: The checks an MDPSpec can run.
MDP_CHECKS = registry.names("mdp")


@about(_mdp_label)
def forbidden(
    mdp: MDP,
    specified: Any,
    forbid: Callable[[Hashable], bool] | Iterable[Hashable],
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
    _, v = optimal(mdp, r)
    # only states the process can start in: an initial probability of 0 starts nowhere
    parent: dict[int, tuple[int, int] | None] = {s: None for s, p in mdp.init if p > 0}
    frontier = list(parent)
    while frontier:
        s = frontier.pop(0)
        if s in bad:
            hops: list[str] = []
            node = s
            while parent[node] is not None:
                before, action = parent[node]  # type: ignore[misc]
                hops.append(f"{mdp.states[before]!r} -{mdp.actions[action]}->")
                node = before
            route = " ".join([*reversed(hops), repr(mdp.states[s])])
            path = [mdp.states[s]]
            node = s
            while parent[node] is not None:
                node = parent[node][0]  # type: ignore[index]
                path.append(mdp.states[node])
            return Finding(
                "forbidden",
                Verdict.VIOLATED,
                f"a specified-optimal policy reaches the forbidden state {mdp.states[s]!r}: "
                f"{route}",
                method="exact",
                witness={"path": {str(i): str(n) for i, n in enumerate(reversed(path))}},
                elapsed=clock.elapsed,
            )
        if s in mdp.terminal:
            continue
        q = q_values(mdp, r, v, s)
        for a in range(mdp.n_actions):
            if q[a] != v[s]:
                continue  # not an optimal action: no optimal policy takes it here
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

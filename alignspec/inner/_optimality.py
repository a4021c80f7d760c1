"""Does the policy pick a best action for an objective at every state of a region?"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from alignspec.actions import Actions
from alignspec.checking.convention import about, renamed
from alignspec.checking.links import policy_name
from alignspec.checking.run import Clock, budget_or_default, decided, nonnegative, unevaluated
from alignspec.engine import SAMPLES
from alignspec.inner._guard import guarded
from alignspec.inner._search import policy_search
from alignspec.inner._support import conditions, describe, same_state, where
from alignspec.inner._support import objective as objective_of
from alignspec.inner._support import region as region_of
from alignspec.policy.base import Policy
from alignspec.results import Finding
from alignspec.solver import Budget, Problem
from alignspec.space import State
from alignspec.symbolic.rename import at


@renamed(
    3,
    ("policy", "objective_", "region_", "epsilon"),
    {"objective_": "objective", "region_": "region"},
)
@about(policy_name)
@unevaluated
def optimality(
    policy: Policy,
    objective: object,
    region: object = None,
    *,
    epsilon: object = 0,
    assume: Sequence[object] = (),
    budget: Budget | None = None,
    samples: int = SAMPLES,
    name: str = "optimality",
) -> Finding:
    """At every state of ``region`` (satisfying ``assume``), is the policy's action within
    ``epsilon`` of the best action for ``objective`` (an expression over states and actions,
    a Reward, or an Intent's utility)?

    VIOLATED: a state, the policy's action there, and a strictly better action
    (``witness["s"]`` and ``witness["better"]``, same state).
    """
    eps = nonnegative(epsilon, "epsilon")
    clock, b = Clock(), budget_or_default(budget)
    q = objective_of(policy, objective)
    cond = region_of(policy, region)
    assumptions = conditions(policy, assume, "assume")
    subject = policy_name(policy)
    escape = guarded(name, subject, policy, cond, b, samples, clock)
    if escape.finding is not None:
        return escape.finding
    dom = policy.domain
    problem = Problem(
        {"s": dom, "better": dom},
        where(policy, cond, "s", "region")
        + tuple(
            (f"{r}: assume[{i}]", at(a, dom, r))
            for r in ("s", "better")
            for i, a in enumerate(assumptions)
        )
        + same_state(policy, "s", "better")
        + (("a better action exists", at(q, dom, "better") > at(q, dom, "s") + eps),),
    )

    def candidates(state: State) -> Iterable[dict[str, State]]:
        assert isinstance(policy.actions, Actions)
        chosen = policy.with_action(state)
        for label in policy.actions.labels:
            yield {"s": chosen, "better": {**chosen, policy.actions.name: label}}

    kind = "optimal" if not eps else f"{eps}-optimal"
    result, query = policy_search(
        policy, problem, ["s"], candidates if policy.finite else None, b, samples, region_cond=cond
    )
    return escape.settle(
        decided(
            name,
            subject,
            result,
            query,
            clock,
            {"epsilon": eps, "objective": str(q), "region": None if cond is None else str(cond)},
            violated=f"the policy's action is not {kind} for {q}:",
            proved=f"the policy's action is {kind} for {q} at every state of the region",
            values=lambda w: describe(policy, w, q),
        )
    )

"""Does the policy's behaviour stay within the requirements?"""

from __future__ import annotations

import sympy

from alignspec.checking.convention import about, renamed
from alignspec.checking.links import policy_name
from alignspec.checking.run import Clock, budget_or_default, decided, unevaluated
from alignspec.engine import SAMPLES
from alignspec.inner._guard import guarded
from alignspec.inner._search import policy_search
from alignspec.inner._support import describe, spec_at, where, with_requirements
from alignspec.inner._support import region as region_of
from alignspec.policy.base import Policy
from alignspec.results import Finding
from alignspec.solver import Budget, Problem
from alignspec.spec import Spec
from alignspec.symbolic.rename import at


@about(policy_name)
@renamed(3, ("policy", "spec", "region_"), {"region_": "region"})
@unevaluated
def verify(
    policy: Policy,
    spec: Spec,
    region: object = None,
    *,
    budget: Budget | None = None,
    samples: int = SAMPLES,
) -> Finding:
    """For every state in ``region`` that satisfies the spec's assumptions, do the state and
    the policy's action there meet every requirement?

    VIOLATED: a state where the policy's own (exactly evaluated) action breaks one.
    PROVED: no such state exists (symbolic policies only: black boxes are sampled, so at
    best UNKNOWN).
    """
    with_requirements(policy, spec, "verify")
    clock, b = Clock(), budget_or_default(budget)
    cond = region_of(policy, region)
    subject = f"{policy_name(policy)} vs {spec.label}"
    escape = guarded("verify", subject, policy, cond, b, samples, clock)
    if escape.finding is not None:
        return escape.finding
    required = sympy.And(*[e for _, e in spec.requirements])
    problem = Problem(
        {"s": policy.domain},
        where(policy, cond, "s", "region")
        + spec_at(policy, spec.assumptions, "s")
        + (("breaks a requirement", sympy.Not(at(required, policy.domain, "s"))),),
    )

    def candidates(state):  # type: ignore[no-untyped-def]
        return [{"s": policy.with_action(state)}]

    result, query = policy_search(policy, problem, ["s"], candidates, b, samples, region_cond=cond)
    return escape.settle(
        decided(
            "verify",
            subject,
            result,
            query,
            clock,
            {"region": None if cond is None else str(cond)},
            violated="at this state the policy's action breaks a requirement:",
            proved="the policy meets every requirement at every state of the region",
            values=lambda w: describe(policy, w, None, spec),
        )
    )

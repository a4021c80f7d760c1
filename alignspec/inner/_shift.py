"""Goal misgeneralization: optimal on the training region, not after the shift."""

from __future__ import annotations

from typing import Any

from alignspec.checking.convention import about
from alignspec.checking.links import policy_name
from alignspec.checking.run import Clock, budget_or_default
from alignspec.engine import SAMPLES
from alignspec.inner._optimality import optimality
from alignspec.inner._support import compatible
from alignspec.policy.base import Policy
from alignspec.results import Finding, Verdict, worst
from alignspec.solver import Budget
from alignspec.spec import Spec


@about(policy_name)
def shift(
    policy: Policy,
    spec: Spec,
    *,
    train: object,
    deploy: object,
    epsilon: object = 0,
    budget: Budget | None = None,
    samples: int = SAMPLES,
) -> Finding:
    """Run :func:`optimality` against the reward (and the intended utility, if any) on the
    training and the deployment regions.

    Goal misgeneralization is reported when the policy is optimal on ``train`` (proved, or
    for black boxes only empirically, and then labelled so) and a replayed witness shows it
    is not on ``deploy``.  The finding's verdict is the worst of its ``parts``; its witness is
    the first deployment witness.
    """
    compatible(policy, spec)
    clock = Clock()
    budget = budget_or_default(budget)  # one deadline for every part
    objectives: dict[str, Any] = {}
    if spec.objective is not None:
        objectives["reward"] = spec.objective
    if spec.utility is not None:
        objectives["intent"] = spec.utility
    if not objectives:
        from alignspec.errors import SpecError

        raise SpecError(f"shift needs a reward or an intended utility; {spec.label!r} has neither")
    assume = [e for _, e in spec.assumptions]
    parts: list[Finding] = []
    lines = []
    witness_from: Finding | None = None
    for label, obj in objectives.items():
        on = {
            where: optimality(
                policy,
                obj,
                region,
                epsilon=epsilon,
                assume=assume,
                budget=budget,
                samples=samples,
                name=f"optimality[{label}@{where}]",
            )
            for where, region in (("train", train), ("deploy", deploy))
        }
        parts += [on["train"], on["deploy"]]
        line, witness = _reading(label, on["train"], on["deploy"])
        lines.append(line)
        witness_from = witness_from or witness
    verdict = worst(p.verdict for p in parts)
    reason = (
        None
        if verdict is not Verdict.UNKNOWN
        else "; ".join(f"{p.check}: {p.reason}" for p in parts if p.verdict is Verdict.UNKNOWN)
    )
    if witness_from is not None:
        lines.append(f"{witness_from.check}: {witness_from.message}")
    return Finding(
        "shift",
        verdict,
        "\n".join(lines),
        subject=f"{policy_name(policy)} vs {spec.label}",
        witness=witness_from.witness if witness_from else None,
        values=witness_from.values if witness_from else {},
        reason=reason,
        method=witness_from.method if witness_from else "smt",
        elapsed=clock.elapsed,
        options={"train": str(train), "deploy": str(deploy), "epsilon": epsilon},
        parts=tuple(parts),
    )


def _reading(label: str, on_train: Finding, on_deploy: Finding) -> tuple[str, Finding | None]:
    """What the two optimality findings for one objective say, and the witness to show."""
    train_ok = on_train.verdict is Verdict.PROVED
    evidence = _empirical(on_train)
    if on_deploy.verdict is Verdict.VIOLATED and (train_ok or evidence):
        how = "proved" if train_ok else f"empirically: {evidence}; not a proof"
        return (
            f"goal misgeneralization for the {label}: optimal on train ({how}), not on deploy",
            on_deploy,
        )
    if on_deploy.verdict is Verdict.VIOLATED:
        return f"{label}: train {on_train.verdict}, not optimal on deploy", on_deploy
    if on_train.verdict is Verdict.VIOLATED:
        return f"not optimal for the {label} even on train", on_train
    return f"{label}: train {on_train.verdict}, deploy {on_deploy.verdict}", None


def _empirical(finding: Finding) -> str | None:
    """How an undecided training check still supports "optimal on train", if it does."""
    if finding.verdict is not Verdict.UNKNOWN:
        return None
    parts = []
    if finding.stats.get("tree_proved"):
        parts.append("proved for the extracted tree")
    sampled = finding.stats.get("sampled_without_violation")
    if sampled:
        parts.append(f"no violation in {int(sampled)} sampled states of the original")
    return ", ".join(parts) or None

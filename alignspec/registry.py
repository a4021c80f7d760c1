"""Every check, declared once: its name, family, question, the failure mode it exposes and
where it lives.  ``check()``, the CLI's ``--checks``, the SARIF rules, the pytest plugin's
items and the docs' check pages are all derived from :data:`CHECKS` (a test keeps the docs
pages and the navigation in step with it)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs

from alignspec.errors import OptionError

Family = Literal["outer", "inner", "mdp", "system"]

#: How each family reads in the docs.
FAMILIES: dict[str, str] = {
    "outer": "outer alignment (reward vs intent)",
    "inner": "inner alignment (policy vs objective)",
    "mdp": "sequential objectives (MDPs)",
    "system": "sequential objectives (transition systems)",
}


@attrs.frozen
class CheckInfo:
    """One check: ``name`` (as in findings), ``family``, the ``question`` it answers, the
    ``failure_mode`` it exposes, a one-line ``rule`` (what a VIOLATED finding means, for
    SARIF) and the dotted path of the function that runs it.  ``in_check`` says whether
    ``alignspec.check()`` runs it on a target of its family."""

    name: str
    family: Family
    question: str
    failure_mode: str
    rule: str
    function: str
    in_check: bool = True


CHECKS: tuple[CheckInfo, ...] = (
    CheckInfo(
        "inversion",
        "outer",
        "Does the reward ever prefer a state the intent considers worse?",
        "proxy metric mismatch, poor reward design",
        "The reward orders two feasible states opposite to the intended utility.",
        "alignspec.outer.inversion",
    ),
    CheckInfo(
        "hacking",
        "outer",
        "Can optimising the reward (to within epsilon) land in a state we did not want, "
        "and what does it cost?",
        "reward hacking, oversimplified cost functions",
        "A (near-)optimal state for the reward breaks the intent.",
        "alignspec.outer.hacking",
    ),
    CheckInfo(
        "requirements",
        "outer",
        "Does the reward pull out of the region the requirements allow?",
        "oversimplified cost functions",
        "The reward pulls out of the region the requirements allow.",
        "alignspec.outer.requirements",
    ),
    CheckInfo(
        "goodhart_curve",
        "outer",
        "What happens to intended utility as more reward is demanded?",
        "Goodhart's law",
        "Pushing the reward beyond a threshold costs intended utility.",
        "alignspec.outer.goodhart_curve",
    ),
    CheckInfo(
        "verify",
        "inner",
        "Do the policy's actions meet every requirement on the region?",
        "unsafe learned behaviour",
        "The policy's action breaks a requirement.",
        "alignspec.inner.verify",
    ),
    CheckInfo(
        "optimality",
        "inner",
        "Is the policy's action (epsilon-)optimal for an objective at every state of a region?",
        "surrogate heuristics, behaviour out of distribution",
        "The policy's action is not optimal for the objective.",
        "alignspec.inner.optimality",
    ),
    CheckInfo(
        "shift",
        "inner",
        "Optimal on the training region, and still after the shift?",
        "goal misgeneralization",
        "Goal misgeneralization: optimal on train, not after the shift.",
        "alignspec.inner.shift",
    ),
    CheckInfo(
        "explains",
        "inner",
        "Which candidate objectives does the behaviour follow, on which region?",
        "proxy internalization",
        "The behaviour follows a proxy objective.",
        "alignspec.inner.explains",
        in_check=False,  # it needs candidate objectives, which no spec carries
    ),
    CheckInfo(
        "oversight",
        "inner",
        "Does the behaviour change when nobody is watching?",
        "deceptive alignment, strategic compliance",
        "The behaviour depends on whether it is watched.",
        "alignspec.inner.oversight",
    ),
    CheckInfo(
        "regret",
        "mdp",
        "What does optimising the specified reward cost the intended one, over trajectories?",
        "reward hacking over time",
        "Optimising the specified reward costs intended return.",
        "alignspec.mdp.regret",
    ),
    CheckInfo(
        "hackable",
        "mdp",
        "Are there two policies the specified and intended rewards order oppositely?",
        "reward hacking (Skalse et al. 2022)",
        "Two policies are ordered oppositely by the specified and intended rewards.",
        "alignspec.mdp.hackable",
    ),
    CheckInfo(
        "equivalent",
        "mdp",
        "Is one reward the other up to positive scale and potential shaping?",
        "'harmless' reward redesign",
        "The rewards are not equivalent up to scale and potential shaping.",
        "alignspec.mdp.equivalent",
    ),
    CheckInfo(
        "epic",
        "mdp",
        "How far apart are two rewards, up to shaping and scale?",
        "reward comparison (Gleave et al. 2021)",
        "The rewards are far apart up to shaping and scale.",
        "alignspec.mdp.epic",
        in_check=False,  # a distance, reported inside `equivalent`
    ),
    CheckInfo(
        "forbidden",
        "mdp",
        "Can a policy optimal for the specified reward (ties included) reach a forbidden state?",
        "observation tampering, side effects",
        "The specified-optimal policy reaches a forbidden state.",
        "alignspec.mdp.forbidden",
    ),
    CheckInfo(
        "bmc",
        "system",
        "Is there a trajectory that games the specified reward or breaks the intent within "
        "H steps?",
        "sequential reward hacking, unsafe controllers",
        "A trajectory games the specified reward or breaks the intent.",
        "alignspec.mdp.bmc",
    ),
    CheckInfo(
        "inductive",
        "system",
        "Is this set an inductive invariant of the closed loop: containing the start states, "
        "inside the safe set, closed under one step?",
        "unsafe controllers (forever), runtime shields",
        "The set is not an inductive safe invariant of the closed loop.",
        "alignspec.mdp.inductive",
        in_check=False,  # asked of a given invariant; bmc(horizon=None) searches one
    ),
)

_BY_NAME = {c.name: c for c in CHECKS}


def names(family: Family | None = None, *, runnable: bool = True) -> tuple[str, ...]:
    """The checks of ``family`` (all families when None) in declaration order; with
    ``runnable``, only those ``alignspec.check()`` can run."""
    return tuple(
        c.name
        for c in CHECKS
        if (family is None or c.family == family) and (c.in_check or not runnable)
    )


def info(name: str) -> CheckInfo:
    """The declaration of check ``name`` (OptionError naming the known ones otherwise)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise OptionError(f"unknown check {name!r}; choose from {list(_BY_NAME)}") from None


def page(check: CheckInfo) -> str:
    """The docs page of one check (docs/checks/<name>.md)."""
    return (
        f"# {check.name}\n\n"
        f"**The question:** {check.question}\n\n"
        f"**Failure mode it exposes:** {check.failure_mode}. Part of "
        f"{FAMILIES[check.family]}.\n\n"
        f"::: {check.function}\n"
    )


def write_pages(docs: Path) -> list[Path]:
    """(Re)write every check's docs page under ``docs/checks``; returns the pages written."""
    out = []
    for check in CHECKS:
        path = docs / "checks" / f"{check.name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(check))
        out.append(path)
    return out

"""Which candidate objectives does the policy's behaviour actually follow, and where?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alignspec.checking.convention import about
from alignspec.checking.links import policy_name
from alignspec.checking.run import Clock, budget_or_default
from alignspec.engine import SAMPLES
from alignspec.errors import OptionError
from alignspec.inner._optimality import optimality
from alignspec.policy.base import Policy
from alignspec.results import Finding, Verdict, worst
from alignspec.solver import Budget


@about(policy_name)
def explains(
    policy: Policy,
    objectives: Mapping[str, object],
    regions: Mapping[str, object] | None = None,
    *,
    intended: str | None = None,
    epsilon: object = 0,
    assume: Sequence[object] = (),
    budget: Budget | None = None,
    samples: int = SAMPLES,
) -> Finding:
    """For each candidate objective and region: is the policy optimal for it there?

    ``values[region][objective]`` holds "proved" / "violated" / "unknown";
    ``figures`` is empty.  Proxy internalization shows up as a proxy that explains every
    region while the ``intended`` objective explains only some.  With ``intended``, the
    verdict is VIOLATED when it fails to explain a region (witness from there), PROVED when
    it explains all; without it, the verdict says whether the whole table was decided.
    """
    if not objectives:
        raise OptionError("explains needs at least one candidate objective")
    if intended is not None and intended not in objectives:
        raise OptionError(f"intended={intended!r} is not one of the objectives {list(objectives)}")
    clock = Clock()
    budget = budget_or_default(budget)  # one deadline for every part
    named = dict(regions) if regions is not None else {"everywhere": None}
    parts: list[Finding] = []
    table: dict[str, dict[str, str]] = {}
    for rname, cond in named.items():
        table[rname] = {}
        for oname, obj in objectives.items():
            f = optimality(
                policy,
                obj,
                cond,
                epsilon=epsilon,
                assume=assume,
                budget=budget,
                samples=samples,
                name=f"optimality[{oname}@{rname}]",
            )
            parts.append(f)
            table[rname][oname] = f.verdict.value
    consistent = {r: [o for o, v in row.items() if v == "proved"] for r, row in table.items()}
    lines = [
        f"{r}: explained by {', '.join(c) if c else 'none of the candidates'}"
        for r, c in consistent.items()
    ]
    everywhere = [o for o in objectives if all(o in c for c in consistent.values())]
    verdict, failing, proxy_line = _verdict(parts, intended, everywhere)
    if proxy_line:
        lines.append(proxy_line)
    reason = (
        None
        if verdict is not Verdict.UNKNOWN
        else "; ".join(f"{p.check}: {p.reason}" for p in parts if p.verdict is Verdict.UNKNOWN)
    )
    return Finding(
        "explains",
        verdict,
        "\n".join(lines),
        subject=policy_name(policy),
        witness=failing.witness if failing else None,
        values=table,
        reason=reason,
        method="smt",
        elapsed=clock.elapsed,
        options={"intended": intended, "regions": {r: str(c) for r, c in named.items()}},
        parts=tuple(parts),
    )


def _verdict(
    parts: list[Finding], intended: str | None, everywhere: list[str]
) -> tuple[Verdict, Finding | None, str | None]:
    """The verdict, the failing part of the intended objective (its witness is shown), and
    the proxy-internalization line when a proxy explains every region and the intent not."""
    if intended is None:
        undecided = any(p.verdict is Verdict.UNKNOWN for p in parts)
        return (Verdict.UNKNOWN if undecided else Verdict.PROVED), None, None
    mine = [p for p in parts if p.check.startswith(f"optimality[{intended}@")]
    failing = next((p for p in mine if p.verdict is Verdict.VIOLATED), None)
    proxies = [o for o in everywhere if o != intended]
    line = None
    if failing is not None and proxies:
        line = (
            f"proxy internalization: {', '.join(proxies)} explain(s) every region, "
            f"the intended {intended!r} does not"
        )
    return worst(p.verdict for p in mine), failing, line

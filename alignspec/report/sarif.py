"""SARIF 2.1.0: a result per VIOLATED or UNKNOWN finding, located at the spec's source."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from alignspec.results import Report, Verdict, plain

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

RULES = {
    "inversion": "The reward orders two feasible states opposite to the intended utility.",
    "hacking": "A (near-)optimal state for the reward breaks the intent.",
    "requirements": "The reward pulls out of the region the requirements allow.",
    "goodhart_curve": "Pushing the reward beyond a threshold costs intended utility.",
    "verify": "The policy's action breaks a requirement.",
    "optimality": "The policy's action is not optimal for the objective.",
    "shift": "Goal misgeneralization: optimal on train, not after the shift.",
    "explains": "The behaviour follows a proxy objective.",
    "oversight": "The behaviour depends on whether it is watched.",
    "regret": "Optimising the specified reward costs intended return.",
    "hackable": "Two policies are ordered oppositely by the specified and intended rewards.",
    "equivalent": "The rewards are not equivalent up to scale and potential shaping.",
    "forbidden": "The specified-optimal policy reaches a forbidden state.",
    "bmc": "A trajectory games the specified reward or breaks the intent.",
}


def document(reports: Sequence[Report], *, root: str | None = None) -> dict[str, Any]:
    from alignspec import __version__

    results = []
    used: dict[str, None] = {}
    for report in reports:
        for finding in report.findings:
            if finding.verdict is Verdict.PROVED:
                continue
            used[finding.check] = None
            result: dict[str, Any] = {
                "ruleId": finding.check,
                "level": "error" if finding.verdict is Verdict.VIOLATED else "warning",
                "message": {
                    "text": f"{report.spec}: {finding.verdict}: {finding.message}"
                    + (f" ({finding.reason})" if finding.reason else "")
                },
                "properties": {
                    "spec": report.spec,
                    "verdict": finding.verdict.value,
                    "method": finding.method,
                    "witness": plain(finding.witness),
                    "expect": report.expect,
                },
            }
            if report.source:
                path = report.source[0]
                if root:
                    try:
                        path = os.path.relpath(path, root)
                    except ValueError:
                        pass
                result["locations"] = [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": path.replace(os.sep, "/")},
                            "region": {"startLine": max(1, report.source[1])},
                        }
                    }
                ]
            results.append(result)
    rules = [
        {"id": rule, "shortDescription": {"text": RULES.get(rule, rule)}} for rule in sorted(used)
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "alignspec", "version": __version__, "rules": rules}},
                "results": results,
            }
        ],
    }


def dumps(reports: Sequence[Report], *, root: str | None = None) -> str:
    return json.dumps(document(reports, root=root), indent=2)

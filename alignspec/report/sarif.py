"""SARIF 2.1.0: a result per VIOLATED or UNKNOWN finding, located at the spec's source."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from alignspec import registry
from alignspec.results import Report, Verdict, plain

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

RULES = {c.name: c.rule for c in registry.CHECKS}


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

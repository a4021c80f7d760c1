"""One machine-readable document for a run (numbers exact: ints or "p/q" strings)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from alignspec.results import Report
from alignspec.solver import solver_versions

SCHEMA = "alignspec-report/1"


def document(reports: Sequence[Report]) -> dict[str, Any]:
    from alignspec import __version__

    return {
        "schema": SCHEMA,
        "alignspec": __version__,
        "solvers": solver_versions(),
        "ok": all(r.meets_expectation for r in reports),
        "specs": [r.to_dict() for r in reports],
    }


def dumps(reports: Sequence[Report]) -> str:
    return json.dumps(document(reports), indent=2)

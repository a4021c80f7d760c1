"""One machine-readable document for a run (numbers exact: ints or "p/q" strings)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from alignspec.results import Report, Verdict
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


#: The last line of ``--format jsonl`` (each line before it: ``{"type": "spec", ...}``, one
#: spec's ``to_dict()``, printed as that spec finishes).
LINES_SCHEMA = "alignspec-report-lines/1"


def summary_line(reports: Sequence[Report]) -> dict[str, Any]:
    """The closing line of a JSON Lines run: the run's facts, without the specs."""
    from alignspec import __version__

    return {
        "type": "summary",
        "schema": LINES_SCHEMA,
        "alignspec": __version__,
        "solvers": solver_versions(),
        "ok": all(r.meets_expectation for r in reports),
        "specs": len(reports),
        "verdicts": {v.value: sum(r.verdict is v for r in reports) for v in Verdict},
    }

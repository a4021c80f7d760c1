"""Skip the harness on --differential=off; print its tallies at the end of the session."""

from __future__ import annotations

import json
import os

import pytest


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    if os.environ.get("ALIGNSPEC_DIFFERENTIAL") == "off":
        skip = pytest.mark.skip(reason="--differential=off")
        for item in items:
            if "differential" in str(item.fspath):
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    from . import harness

    lines = harness.summary_lines()
    if not lines:
        return
    terminalreporter.section(f"alignspec differential harness ({harness.PROFILE} profile)")
    for line in lines:
        terminalreporter.write_line(line)
    path = os.environ.get("ALIGNSPEC_DIFFERENTIAL_STATS")
    if path:
        with open(path, "w") as fh:
            json.dump(
                {
                    "tally": {k: dict(v) for k, v in harness.TALLY.items()},
                    "known": {k: len(v) for k, v in harness.KNOWN_HITS.items()},
                },
                fh,
                indent=1,
            )

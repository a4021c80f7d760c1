"""pytest plugin for alignspec, registered through the ``pytest11`` entry point.

It lives outside the package so that a pytest run in any project with alignspec installed
pays nothing for it: alignspec (z3, sympy) is imported only once ``--alignspec`` is given,
and no hypothesis profile is loaded unless ``--alignspec-ci-profile`` asks for one (
alignspec's own sampling is seeded either way).  ``pytest --alignspec [PATH]`` collects spec
files as test items; see :mod:`alignspec.pytest_plugin`.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("alignspec")
    group.addoption(
        "--alignspec",
        action="append",
        nargs="?",
        const="specs",
        default=None,
        metavar="PATH",
        help="collect alignspec spec files (default path: specs)",
    )
    group.addoption(
        "--alignspec-allow-unknown",
        action="store_true",
        default=False,
        help="report UNKNOWN verdicts as passes (with a warning) instead of failures",
    )
    group.addoption(
        "--alignspec-ci-profile",
        action="store_true",
        default=False,
        help="load a fixed-seed hypothesis profile (no database, no deadline) for this run",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--alignspec-ci-profile"):
        from hypothesis import settings

        settings.register_profile("alignspec-ci", derandomize=True, database=None, deadline=None)
        settings.load_profile("alignspec-ci")


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    paths = config.getoption("--alignspec")
    if not paths:
        return
    from alignspec.pytest_plugin import collect_specs

    items.extend(collect_specs(session, paths))

"""pytest plugin for alignspec, registered through the ``pytest11`` entry point.

It lives outside the package so that a pytest run in any project with alignspec installed
pays nothing for it: alignspec (z3, sympy) is imported only once ``--alignspec`` is given,
and no hypothesis profile is loaded unless ``--alignspec-ci-profile`` asks for one (
alignspec's own sampling is seeded either way).  ``pytest --alignspec [PATH]`` collects spec
files as test items; see :mod:`alignspec.pytest_plugin`.
"""

from __future__ import annotations

from pathlib import Path

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
        "--alignspec-scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the spec checks on the Dask cluster of this scheduler (tcp://host:8786), "
        "or 'dask' for a LocalCluster of one worker per core; needs alignspec[dask]",
    )
    group.addoption(
        "--alignspec-ci-profile",
        action="store_true",
        default=False,
        help="load a fixed-seed hypothesis profile (no database, no deadline) for this run",
    )


ROOTS = pytest.StashKey[list[Path]]()


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--alignspec-ci-profile"):
        from hypothesis import settings

        settings.register_profile("alignspec-ci", derandomize=True, database=None, deadline=None)
        settings.load_profile("alignspec-ci")
    paths = config.getoption("--alignspec") or []
    config.stash[ROOTS] = [Path(p).resolve() for p in paths]
    # pytest walks the spec paths itself (node ids, -k, --lf and -x work as for tests)
    config.args.extend(p for p in paths if p not in config.args)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.getoption("--alignspec-scheduler") and config.stash.get(ROOTS, []):
        from alignspec.pytest_plugin import dispatch

        dispatch(config, items)


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.getoption("--alignspec-scheduler", default=None):
        from alignspec.pytest_plugin import close

        close(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    roots = parent.config.stash.get(ROOTS, [])
    if not roots or file_path.suffix != ".py" or file_path.name == "conftest.py":
        return None
    if not any(file_path == r or r in file_path.parents for r in roots):
        return None
    if file_path.name.startswith("test_") or file_path.name.endswith("_test.py"):
        return None  # a test module that happens to live there: pytest's own business
    from alignspec.pytest_plugin import SpecFile

    node: pytest.Collector = SpecFile.from_parent(parent, path=file_path)
    return node

"""The pytest plugin's collection: ``pytest --alignspec [PATH]`` collects spec files as
test items.

The hooks live in the top-level module ``_alignspec_pytestplugin`` (the ``pytest11`` entry
point), which imports this module only when ``--alignspec`` is given.  One item per spec
and check: a check fails when it contradicts the spec's ``expect`` ("aligned": not PROVED)
or is UNKNOWN (unless ``--alignspec-allow-unknown``); a "misaligned" spec also gets an
``expect`` item that fails unless some check is VIOLATED.

With ``--alignspec-scheduler ADDRESS`` every check item is submitted to that Dask cluster
once collection is done (the workers load the spec files by path) and each item waits for
its own result: items still pass, fail and report as they would locally.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest


class SpecFile(pytest.File):
    """A spec file: the Specs, Learned policies and MDP bundles defined in it (not those it
    imports from another spec file, which that file's node collects)."""

    def collect(self) -> list[pytest.Collector]:
        from alignspec.loader import locate

        here = Path(self.path).resolve()

        def defined_here(target: Any) -> bool:
            source = getattr(target, "source", None)
            return source is None or Path(source[0]).resolve() == here

        found = [(t, ref) for t, ref in locate([str(self.path)]) if defined_here(t)]
        return [SpecNode.from_parent(self, name=t.label, target=t, ref=ref) for t, ref in found]


class SpecNode(pytest.Collector):
    """A spec (or Learned / MDPSpec / Trajectories) and its checks."""

    def __init__(self, *, target: Any, ref: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.ref = ref  # where a cluster's worker loads the target from (its file's path)
        self.verdicts: dict[str, Any] = {}

    def collect(self) -> list[pytest.Item]:
        from alignspec.learned import Learned
        from alignspec.runner import applicable, applicable_inner
        from alignspec.spec import Spec

        t = self.target
        if isinstance(t, Spec):
            names: tuple[str | None, ...] = applicable(t)
        elif isinstance(t, Learned):
            names = applicable_inner(t.spec, train=t.train, deploy=t.deploy, oversight=t.oversight)
        else:
            names = (None,)  # MDP bundles run as one item
        items: list[pytest.Item] = [
            CheckItem.from_parent(self, name=n or "checks", check=n) for n in names
        ]
        if getattr(t, "expect", None) == "misaligned":
            items.append(ExpectItem.from_parent(self, name="expect"))
        return items

    def location_hint(self) -> tuple[str, int]:
        source = getattr(self.target, "source", None)
        return (source[0], source[1]) if source else ("", 0)


class CheckItem(pytest.Item):
    def __init__(self, *, check: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_name = check
        self.future: Any = None  # the report's future when the check runs on a cluster

    def runtest(self) -> None:
        from alignspec.assertions import _describe
        from alignspec.results import Verdict
        from alignspec.suite import Single

        node: SpecNode = self.parent  # type: ignore[assignment]
        target = node.target
        if self.future is not None:
            report = self.future.result()
        else:
            report = Single(target, self.check_name)()
        for finding in report.findings:
            node.verdicts[finding.check] = finding.verdict
            unknown = finding.verdict is Verdict.UNKNOWN
            if unknown and not self.config.getoption("--alignspec-allow-unknown"):
                raise AlignspecFailure(
                    f"UNKNOWN (use --alignspec-allow-unknown to accept):\n{_describe(finding)}"
                )
            if (
                getattr(target, "expect", None) == "aligned"
                and finding.verdict is not (Verdict.PROVED)
                and not unknown
            ):
                raise AlignspecFailure(f"expected aligned, got:\n{_describe(finding)}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, AlignspecFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        node: SpecNode = self.parent  # type: ignore[assignment]
        file, line = node.location_hint()
        return file, line - 1 if line else None, f"{node.name}::{self.name}"


class ExpectItem(CheckItem):
    """A "misaligned" spec must have at least one VIOLATED check."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(check=None, **kwargs)

    def runtest(self) -> None:
        from alignspec.results import Verdict

        node: SpecNode = self.parent  # type: ignore[assignment]
        if not node.verdicts:
            from alignspec.runner import check

            node.verdicts = {f.check: f.verdict for f in check(node.target).findings}
        if Verdict.VIOLATED not in node.verdicts.values():
            shown = ", ".join(f"{k}: {v}" for k, v in node.verdicts.items())
            raise AlignspecFailure(f"expected misaligned, but no check was VIOLATED ({shown})")


class AlignspecFailure(AssertionError):
    """A spec did not meet its expectation."""


_POOL = pytest.StashKey[ExitStack]()


def dispatch(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Submit every check item to the cluster of ``--alignspec-scheduler`` (opened once per
    session; items whose spec has no file to load it from run here as usual)."""
    from alignspec import execution
    from alignspec.suite import Single, run_single

    checks = [i for i in items if isinstance(i, CheckItem) and not isinstance(i, ExpectItem)]
    if not checks:
        return
    address = config.getoption("--alignspec-scheduler")
    stack = config.stash.setdefault(_POOL, ExitStack())
    where = stack.enter_context(execution.pool(address))
    assert where.executor is not None
    for item in checks:
        node: SpecNode = item.parent  # type: ignore[assignment]
        if node.ref is not None:
            item.future = where.executor.submit(run_single, Single(node.ref, item.check_name))


def close(config: pytest.Config) -> None:
    """Close the session's cluster connection (cancelling what no item waited for)."""
    stack = config.stash.get(_POOL, None)
    if stack is not None:
        stack.close()

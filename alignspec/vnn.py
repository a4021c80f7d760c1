"""VNN-COMP style instances: an ONNX network and a VNN-LIB property in, ``unsat`` / ``sat``
(with a counterexample) / ``unknown`` out.

``unsat`` means no input of the property's region makes the outputs unsafe: the finding is
PROVED (bounds and exact leaves).  ``sat`` comes with an input whose network output,
evaluated exactly in rationals, satisfies the unsafe condition exactly.
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import Literal

import attrs

from alignspec.results import Finding, Verdict
from alignspec.solver import Budget

Answer = Literal["unsat", "sat", "unknown", "timeout"]

#: Exit codes of ``alignspec vnn`` (2 is bad input, as for every alignspec command).
EXIT = {"unsat": 0, "sat": 1, "unknown": 3, "timeout": 3}


@attrs.frozen
class VnnResult:
    """The answer to one instance, how long it took, and the finding behind it."""

    answer: Answer
    seconds: float
    inputs: tuple[Fraction, ...] | None = None
    outputs: tuple[Fraction, ...] | None = None
    finding: Finding | None = attrs.field(default=None, eq=False, repr=False)

    def counterexample(self) -> str:
        """The witness in VNN-COMP's format: ``((X_0 v) ... (Y_0 v) ...)``."""
        if self.inputs is None or self.outputs is None:
            return ""
        parts = [f"(X_{i} {float(v)!r})" for i, v in enumerate(self.inputs)]
        parts += [f"(Y_{j} {float(v)!r})" for j, v in enumerate(self.outputs)]
        return "(" + "\n ".join(parts) + ")"


def check_instance(
    onnx_path: str | Path,
    vnnlib_path: str | Path,
    *,
    timeout: float | None = None,
    jobs: int | None = 1,
    executor: object = None,
) -> VnnResult:
    """Decide one instance: is some input of the property's region unsafe?

    ``jobs`` local worker processes share the branch and bound (None: one per core).
    With ``executor`` (what :func:`alignspec.execution.pool` takes: ``"dask"``, a
    scheduler address, a ``distributed.Client``, an Executor of processes) its workers
    do, and ``jobs`` is the worker count of a ``"dask"`` LocalCluster (1 or None: one
    per core; a cluster of one worker would share nothing).  Starting a cluster counts
    against ``timeout``, as it does against the caller's clock."""
    from alignspec import execution
    from alignspec.inner import verify
    from alignspec.neural.parallel import cores, workers
    from alignspec.neural.vnnlib import load

    started = time.perf_counter()
    budget = Budget(timeout=timeout).start()
    policy, spec, region = load(onnx_path, vnnlib_path)
    place = (
        workers(jobs=cores() if jobs is None else jobs)
        if executor is None
        else execution.on(executor, jobs=None if jobs == 1 else jobs)
    )
    with place:
        finding = verify(policy, spec, region, budget=budget, samples=0)
    seconds = time.perf_counter() - started
    if finding.verdict is Verdict.PROVED:
        return VnnResult("unsat", seconds, finding=finding)
    if finding.verdict is Verdict.VIOLATED:
        assert finding.witness is not None
        state = finding.witness["s"]
        n_in, n_out = len(policy.space), len(policy.action_names)
        xs = tuple(Fraction(state[f"X_{i}"]) for i in range(n_in))
        ys = tuple(Fraction(state[f"Y_{j}"]) for j in range(n_out))
        return VnnResult("sat", seconds, xs, ys, finding)
    answer: Answer = (
        "timeout" if finding.reason and finding.reason.startswith("timeout") else "unknown"
    )
    return VnnResult(answer, seconds, finding=finding)

"""Proof certificates: small deterministic files in ``proofs/`` that CI can re-check.

``prove`` writes, per target and check, ``<slug>/<check>.json`` (spec name, content hash,
check, options, verdict, method, solver versions, deterministic effort) and, for checks
decided by an UNSAT query, the portable query ``<slug>/<check>.smt2``.  VIOLATED checks
record their witness instead.  ``recheck`` fails when a spec changed since its certificate,
when z3 or cvc5 (if installed) does not answer ``unsat`` on a stored query, or when a query
is not portable.  Certificates whose proof is an exact computation rather than a query are
re-checked by running the check again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alignspec.errors import OptionError, SpecFileError
from alignspec.results import Finding, Report, Verdict, plain

NON_PORTABLE = ("(_ at-most", "(_ at-least", "(_ pbeq", "(_ pble", "(_ pbge")


def digest(target: Any) -> str:
    """The content hash a certificate is keyed by: the Spec's meaning, or else the text of
    the file that defines the target (any edit there invalidates it)."""
    from alignspec.spec import Spec

    if isinstance(target, Spec):
        return target.digest
    source = getattr(target, "source", None)
    text = Path(source[0]).read_text() if source else repr(target)
    return hashlib.sha256(f"{target.label}\n{text}".encode()).hexdigest()


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "spec"


def _record(report: Report, finding: Finding, target: Any, root: Path) -> dict[str, Any]:
    from alignspec.solver import solver_versions

    source = getattr(target, "source", None)
    record: dict[str, Any] = {
        "spec": report.spec,
        "file": _relative(Path(source[0]), root) if source else None,
        "digest": digest(target),
        "check": finding.check,
        "options": plain(finding.options),
        "verdict": finding.verdict.value,
        "method": finding.method,
        "solvers": solver_versions(),
        "effort": {"rlimit": int(finding.stats.get("rlimit_count", 0))},
    }
    if finding.verdict is Verdict.VIOLATED:
        record["witness"] = plain(finding.witness)
        record["values"] = plain(finding.values)
    if finding.verdict is Verdict.UNKNOWN:
        record["reason"] = finding.reason
    return record


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def prove(targets: Sequence[Any], reports: Sequence[Report], out: Path, root: Path) -> list[Path]:
    """Write certificates for every finding; returns the files written."""
    written = []
    for target, report in zip(targets, reports, strict=True):
        folder = out / slug(report.spec)
        folder.mkdir(parents=True, exist_ok=True)
        for finding in report.findings:
            record = _record(report, finding, target, root)
            query = finding.smt2 if finding.verdict is Verdict.PROVED else None
            if query is not None:
                record["query"] = f"{finding.check}.smt2"
                record["expected"] = "unsat"
                (folder / f"{finding.check}.smt2").write_text(query)
                written.append(folder / f"{finding.check}.smt2")
            path = folder / f"{finding.check}.json"
            path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
            written.append(path)
    return written


def cached(out: Path, target: Any, label: str) -> list[dict[str, Any]] | None:
    """The stored certificates of ``target`` if they were made for its current content."""
    folder = out / slug(label)
    if not folder.is_dir():
        return None
    records = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    if not records or any(r.get("digest") != digest(target) for r in records):
        return None
    return records


def recheck(proofs: Path, root: Path, solvers: Sequence[str] = ("z3", "cvc5")) -> list[str]:
    """Problems found in the certificates under ``proofs`` (empty: all hold).

    Every stored query must be answered ``unsat`` by each of ``solvers`` (z3 and cvc5 by
    default); a requested solver that is not installed is a problem, not a silent pass.
    """
    from alignspec.solver.portable import SOLVERS, versions

    unknown = [s for s in solvers if s not in SOLVERS]
    if unknown or not solvers:
        raise OptionError(f"solvers {list(solvers)}: choose from {list(SOLVERS)}")
    missing = [name for name, version in versions(solvers).items() if version is None]
    if missing:
        return [
            f"{name} is not installed, so it cannot re-check the certificates: "
            f"pip install 'alignspec[{name}]', or leave it out with --solvers "
            + ",".join(s for s in solvers if s not in missing)
            for name in missing
        ]
    from alignspec.loader import load
    from alignspec.runner import check

    problems: list[str] = []
    files = sorted(proofs.rglob("*.json"))
    if not files:
        return [f"{proofs}: no certificates found"]
    loaded: dict[str, dict[str, Any]] = {}
    reruns: dict[str, Report] = {}
    for path in files:
        record = json.loads(path.read_text())
        where = f"{path}"
        file = record.get("file")
        if not file:
            problems.append(f"{where}: records no spec file")
            continue
        if file not in loaded:
            try:
                loaded[file] = {t.label: t for t in load([str(root / file)])}
            except SpecFileError as err:
                problems.append(f"{where}: {err}")
                loaded[file] = {}
        target = loaded[file].get(record["spec"])
        if target is None:
            problems.append(f"{where}: spec {record['spec']!r} is gone from {file}")
            continue
        if digest(target) != record["digest"]:
            problems.append(
                f"{where}: spec {record['spec']!r} changed since its certificate "
                "(content hash differs): run alignspec prove again"
            )
            continue
        if "query" in record:
            text = (path.parent / record["query"]).read_text()
            problems += [f"{where}: {p}" for p in _decide(text, solvers)]
        elif record["verdict"] == "proved":
            if record["spec"] not in reruns:
                reruns[record["spec"]] = check(target)
            redone = reruns[record["spec"]]
            verdict = next((f.verdict for f in redone.findings if f.check == record["check"]), None)
            if verdict is not Verdict.PROVED:
                problems.append(f"{where}: re-running {record['check']} gave {verdict}")
    return problems


def _decide(text: str, solvers: Sequence[str]) -> list[str]:
    """Each of ``solvers`` must answer unsat; the query must be portable."""
    problems = []
    if not text.startswith("(set-logic "):
        problems.append("query does not start with (set-logic ...)")
    for construct in NON_PORTABLE:
        if construct in text:
            problems.append(f"query uses the z3-only construct {construct}")
    from alignspec.solver.portable import cvc5_answer, z3_answer

    if "z3" in solvers:
        z3_says = z3_answer(text)
        if z3_says != "unsat":
            problems.append(f"z3 answers {z3_says}, not unsat")
    if "cvc5" in solvers:
        cvc5_says = cvc5_answer(text)
        if cvc5_says != "unsat":
            problems.append(f"cvc5 answers {cvc5_says}, not unsat")
    return problems

"""Proof certificates: written deterministically, re-checked by z3 and cvc5, invalidated by
changes to the spec."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SPEC = """
    import alignspec as al
    s = al.Space(x=al.Real(0, 10))
    good = al.Spec(space=s, reward=2 * s.vars.x, intent=al.Intent(s.vars.x), name="good",
                   expect="aligned")
"""


def run(cwd, *args):
    return subprocess.run(
        [sys.executable, "-m", "alignspec", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_bundled_certificates_recheck():
    out = run(ROOT, "recheck", "proofs")
    assert out.returncode == 0, out.stderr
    assert "all certificates in proofs/ hold" in out.stdout


def test_prove_recheck_cache_and_invalidation(tmp_path):
    (tmp_path / "good.py").write_text(textwrap.dedent(SPEC))
    first = run(tmp_path, "prove", "good.py", "--out", "proofs")
    assert first.returncode == 0 and "for 1 spec(s)" in first.stdout
    record = json.loads((tmp_path / "proofs" / "good" / "inversion.json").read_text())
    assert record["verdict"] == "proved" and record["query"] == "inversion.smt2"
    assert record["file"] == "good.py" and len(record["digest"]) == 64
    query = (tmp_path / "proofs" / "good" / "inversion.smt2").read_text()
    assert query.startswith("(set-logic QF_LRA)")
    assert run(tmp_path, "recheck", "proofs").returncode == 0
    again = run(tmp_path, "prove", "good.py", "--out", "proofs")
    assert "1 spec(s) unchanged (cached)" in again.stdout
    (tmp_path / "good.py").write_text(textwrap.dedent(SPEC).replace("2 * s.vars.x", "3 * s.vars.x"))
    stale = run(tmp_path, "recheck", "proofs")
    assert stale.returncode == 1 and "changed since its certificate" in stale.stderr


def test_recheck_rejects_a_query_that_does_not_prove(tmp_path):
    (tmp_path / "good.py").write_text(textwrap.dedent(SPEC))
    run(tmp_path, "prove", "good.py", "--out", "proofs")
    smt = tmp_path / "proofs" / "good" / "inversion.smt2"
    smt.write_text("(set-logic QF_LRA)\n(declare-fun x () Real)\n(assert (> x 0))\n(check-sat)\n")
    out = run(tmp_path, "recheck", "proofs")
    assert out.returncode == 1 and "z3 answers sat, not unsat" in out.stderr
    smt.write_text("(declare-fun x () Real)\n(assert ((_ at-most 1) (> x 0)))\n(check-sat)\n")
    out = run(tmp_path, "recheck", "proofs")
    assert "does not start with (set-logic" in out.stderr and "z3-only construct" in out.stderr


def test_recheck_names_its_solvers_and_fails_when_one_is_missing(tmp_path, monkeypatch):
    import z3

    from alignspec import certificates
    from alignspec.solver import portable

    (tmp_path / "good.py").write_text(textwrap.dedent(SPEC))
    run(tmp_path, "prove", "good.py", "--out", "proofs")
    both = run(tmp_path, "recheck", "proofs")
    assert both.returncode == 0
    assert f"re-checked by z3 {z3.get_version_string()}, cvc5 " in both.stdout
    alone = run(tmp_path, "recheck", "proofs", "--solvers", "z3")
    assert alone.returncode == 0 and "re-checked by z3" in alone.stdout
    assert "cvc5" not in alone.stdout
    # without cvc5 installed, the default re-check fails and says how to opt out
    real = portable.versions
    monkeypatch.setattr(
        portable, "versions", lambda s: {**real(s), "cvc5": None} if "cvc5" in s else real(s)
    )
    problems = certificates.recheck(tmp_path / "proofs", tmp_path)
    assert len(problems) == 1 and "cvc5 is not installed" in problems[0]
    assert "--solvers z3" in problems[0]
    assert certificates.recheck(tmp_path / "proofs", tmp_path, ["z3"]) == []

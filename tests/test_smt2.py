"""SMT-LIB2 export: portable scripts that another solver (cvc5) decides the same way."""

import pytest
import sympy as sp

import alignspec as al
from alignspec.loader import load

cvc5 = pytest.importorskip("cvc5")
from alignspec.solver.portable import cvc5_answer  # noqa: E402


def run_cvc5(text):
    return cvc5_answer(text)


def test_logic_is_declared_first():
    line = al.Space(x=al.Real(0, 1))
    f = al.outer.inversion(al.Spec(space=line, reward=line.vars.x, intent=al.Intent(line.vars.x)))
    assert f.smt2.splitlines()[0] == "(set-logic QF_LRA)"
    mixed = al.Space(x=al.Real(0, 1), n=al.Int(0, 3))
    f = al.outer.inversion(
        al.Spec(space=mixed, reward=mixed.vars.x * mixed.vars.n, intent=al.Intent(mixed.vars.n))
    )
    assert f.smt2.splitlines()[0] == "(set-logic QF_NIRA)"


@pytest.mark.parametrize("spec", load(["specs"]), ids=lambda s: s.name)
# Specs and Learned policies alike; shift and explains are checked through their parts.
def test_cvc5_agrees_with_every_bundled_finding(spec):
    def with_parts(findings):
        for f in findings:
            yield f
            yield from with_parts(f.parts)

    report = al.check(spec, points=3) if isinstance(spec, al.Spec) else al.check(spec)
    for finding in with_parts(report.findings):
        if finding.smt2 is None or finding.verdict is al.Verdict.UNKNOWN:
            continue  # an undecided finding's query decides nothing
        text = finding.smt2
        assert "(_ at-most" not in text and "(_ pbeq" not in text
        expected = {al.Verdict.PROVED: "unsat", al.Verdict.VIOLATED: "sat"}[finding.verdict]
        assert run_cvc5(text) == expected, (spec.name, finding.check)


def test_unsat_core_free_export_of_a_violation_is_sat():
    line = al.Space(x=al.Real(0, 10))
    x = line.vars.x
    f = al.outer.requirements(al.Spec(space=line, reward=x, intent=al.Intent(require=[x <= 5])))
    assert f.verdict is al.Verdict.VIOLATED and run_cvc5(f.smt2) == "sat"
    assert sp.Rational(5) == f.figures["compliant_reward_optimum"]

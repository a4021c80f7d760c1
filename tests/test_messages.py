"""Typed errors for the mistakes that were silent or crashed: a Choice compared with a
string by ==, sympy.Eq with a string, a condition given as a utility or reward."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sympy as sp

import alignspec as al

ROOT = Path(__file__).resolve().parent.parent
SPACE = al.Space(m=al.Choice("p", "q"), x=al.Real(0, 1))
V = SPACE.vars


def test_a_choice_compared_with_a_string_by_python_equality_points_at_al_eq():
    with pytest.raises(al.UnknownLabelError) as err:
        al.Intent(V.x, require=[V.m == "p"])
    assert str(err.value) == (
        "m == 'p' compares Choice variable m with a string in Python, which is always False "
        "and never a condition; write al.eq(m, 'p')"
    )
    with pytest.raises(al.UnknownLabelError, match=r"always True .* write al\.ne\(m, 'q'\)"):
        _ = V.m != "q"


def test_choice_symbols_still_compare_as_symbols():
    assert V.m == V.m and V.m != V.x and hash(V.m) == hash(SPACE.vars.m)
    assert (V.m == 3) is False  # not a string: sympy's own answer
    spec = al.Spec(space=SPACE, reward=V.x, intent=al.Intent(V.x, require=[al.eq(V.m, "p")]))
    assert al.check(spec).verdict is al.Verdict.VIOLATED  # requirement m = p can be broken


def test_sympy_eq_with_a_string_in_a_spec_file_names_al_eq(tmp_path):
    path = tmp_path / "eq.py"
    path.write_text(
        textwrap.dedent(
            """
            import alignspec as al, sympy as sp
            s = al.Space(m=al.Choice("p", "q"), x=al.Real(0, 1))
            spec = al.Spec(space=s, reward=s.vars.x,
                           intent=al.Intent(s.vars.x, require=[sp.Eq(s.vars.m, "p")]))
            """
        )
    )
    out = subprocess.run(
        [sys.executable, "-m", "alignspec", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"{path}:5: importing the spec file failed: SympifyError:" in out.stderr
    assert (
        "sympy cannot compare with the string 'p': for a Choice variable write "
        "al.eq(v.<name>, 'p') (al.ne for 'is not')" in out.stderr
    )


@pytest.mark.parametrize(
    "utility", [V.x > sp.Rational(1, 2), sp.And(V.x > 0, V.x < 1), al.eq(V.m, "p"), True]
)
def test_a_condition_given_as_a_utility_is_refused_at_construction(utility):
    with pytest.raises(al.NotNumericError, match=r"^Intent: the utility .* is a condition, not"):
        al.Intent(utility)


def test_a_condition_as_utility_names_the_fix():
    with pytest.raises(al.NotNumericError) as err:
        al.Intent(V.x > 1 / 2)
    assert str(err.value) == (
        "Intent: the utility x > 0.5 is a condition, not a number to maximise: put conditions "
        "in Intent(require=[...]) (or assume=[...]), or count it as 0/1 with "
        "al.indicator(x > 0.5)"
    )
    with pytest.raises(al.NotNumericError, match=r"^Reward: the expression x > 0\.5 is a cond"):
        al.Reward(V.x > 1 / 2)
    # indicators and Bool variables are numbers (0/1)
    b = al.Space(b=al.Bool()).vars.b
    assert al.Intent(al.indicator(V.x > 1 / 2)).utility is not None and al.Intent(b).utility == b


def test_choice_symbols_print_as_before_so_content_hashes_hold():
    assert sp.srepr(V.m) == "Symbol('m')" and str(V.m) == "m"

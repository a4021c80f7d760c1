"""One test per SpecError case: the right type, and a message naming the culprit."""

import pytest
import sympy as sp

import alignspec as al


@pytest.fixture
def space():
    return al.Space(x=al.Real(0, 10), n=al.Int(0, 5), b=al.Bool(), mode=al.Choice("feed", "search"))


def test_every_error_is_a_spec_error():
    for cls in (
        al.BoundsError,
        al.UnknownSymbolError,
        al.NotBooleanError,
        al.NotNumericError,
        al.UnsupportedExpressionError,
        al.UnknownLabelError,
        al.UnsatisfiableAssumptionsError,
        al.SpecFileError,
        al.OptionError,
    ):
        assert issubclass(cls, al.SpecError)


@pytest.mark.parametrize(
    "make, text",
    [
        (lambda: al.Real(), "lower bound is missing"),
        (lambda: al.Real(0), "upper bound is missing"),
        (lambda: al.Int(5, 1), "lower bound exceeds upper bound"),
        (lambda: al.Real(0, float("inf")), "not finite"),
        (lambda: al.Real(0, sp.oo), "not a finite rational"),
        (lambda: al.Int(0, 2.5), "not a whole number"),
    ],
)
def test_bounds(make, text):
    with pytest.raises(al.BoundsError, match=text):
        make()


def test_space_errors():
    with pytest.raises(al.SpaceError, match="duplicate label"):
        al.Choice("a", "a")
    with pytest.raises(al.SpaceError, match="'y'"):
        al.Space(y=al.Choice("y", "z"))
    with pytest.raises(al.SpaceError, match="Real\\(lo, hi\\)"):
        al.Space(x=3)


def test_unknown_symbol(space):
    z = sp.Symbol("z")
    with pytest.raises(
        al.UnknownSymbolError, match=r"`z`.*not a variable.*\['b', 'mode', 'n', 'x'\]"
    ):
        al.Spec(space=space, reward=al.Reward(space.vars.x + z))


def test_user_built_symbol_with_a_space_name_is_that_variable(space):
    spec = al.Spec(space=space, reward=sp.Symbol("x") * 2, intent=al.Intent(space.vars.x))
    assert spec.objective.free_symbols == {space.vars.x}


def test_not_boolean(space):
    with pytest.raises(al.NotBooleanError, match=r"assume\[0\].*`x \+ 1`.*not a condition"):
        al.Spec(space=space, assume=[space.vars.x + 1])
    with pytest.raises(al.NotBooleanError, match="Real variable"):
        al.Spec(space=space, intent=al.Intent(require=[space.vars.x]))


def test_choice_used_as_number(space):
    with pytest.raises(al.NotNumericError, match="Choice variable `mode`"):
        al.Spec(space=space, reward=space.vars.mode + 1)


def test_unsupported_function_is_named_with_the_supported_list(space):
    with pytest.raises(al.UnsupportedExpressionError, match="sin.*supported: numbers"):
        al.Spec(space=space, reward=sp.sin(space.vars.x))
    with pytest.raises(al.UnsupportedExpressionError, match="divides by the non-constant `x`"):
        al.Spec(space=space, reward=1 / space.vars.x)
    with pytest.raises(al.UnsupportedExpressionError, match="non-integer exponent"):
        al.Spec(space=space, reward=sp.sqrt(space.vars.x))
    with pytest.raises(al.UnsupportedExpressionError, match="reward: .* undefined at {'x': "):
        al.Spec(space=space, reward=sp.Piecewise((space.vars.x, space.vars.x > 1)))
    with pytest.raises(al.UnsupportedExpressionError, match="pi"):
        al.Spec(space=space, reward=sp.pi * space.vars.x)


def test_unknown_label(space):
    with pytest.raises(al.UnknownLabelError, match=r"'video'.*\('feed', 'search'\)"):
        al.Spec(space=space, assume=[al.eq(space.vars.mode, "video")])


def test_unsatisfiable_assumptions_name_the_core(space):
    v = space.vars
    with pytest.raises(
        al.UnsatisfiableAssumptionsError, match="assumptions are unsatisfiable"
    ) as e:
        al.Spec(space=space, assume=[v.n >= 1, v.x >= 3, v.x <= 2, v.b])
    assert sorted(e.value.core) == ["s: assume[1]: x >= 3", "s: assume[2]: x <= 2"]


def test_assumption_contradicting_bounds(space):
    with pytest.raises(al.UnsatisfiableAssumptionsError, match="x > 10"):
        al.Spec(space=space, assume=[space.vars.x > 10])


def test_bad_expect_and_options(space):
    with pytest.raises(al.OptionError, match="expect='yes'"):
        al.Spec(space=space, expect="yes")
    spec = al.Spec(space=space, reward=space.vars.x, intent=al.Intent(space.vars.x))
    with pytest.raises(al.OptionError, match="margin=-1"):
        al.outer.inversion(spec, margin=-1)
    with pytest.raises(al.OptionError, match="points=1"):
        al.outer.goodhart_curve(spec, points=1)
    with pytest.raises(al.OptionError, match="unknown check"):
        al.check(spec, checks=["nope"])


def test_check_needing_what_the_spec_lacks(space):
    spec = al.Spec(space=space, intent=al.Intent(space.vars.x))
    with pytest.raises(al.SpecError, match="needs a reward"):
        al.outer.inversion(spec)
    with pytest.raises(al.SpecError, match="needs a reward.*and requirements"):
        al.outer.requirements(spec)


def test_non_sympy_input(space):
    with pytest.raises(al.SpecError, match="not a sympy expression"):
        al.Reward(object())

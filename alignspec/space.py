"""Typed state spaces: named Real, Int, Bool and Choice variables with finite bounds."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from typing import Any, TypeVar

import attrs
import sympy

from alignspec.errors import BoundsError, SpaceError, UnknownLabelError

T = TypeVar("T")

#: A concrete value of one variable: Fraction (Real), int (Int), bool (Bool), str (Choice).
Value = Fraction | int | bool | str
#: A concrete state: variable name -> value.
State = dict[str, Value]


def to_fraction(value: object, what: str) -> Fraction:
    """The exact rational a number denotes (a float becomes its exact binary value)."""
    if value is None:
        raise BoundsError(f"{what} is missing; Real and Int need finite bounds: Real(lo, hi)")
    if isinstance(value, bool):
        raise BoundsError(f"{what}: expected a number, got the boolean {value!r}")
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BoundsError(f"{what}: {value!r} is not finite; give a finite bound")
        return Fraction(value)
    if isinstance(value, str):
        try:
            return Fraction(value)
        except ValueError:
            raise BoundsError(f"{what}: {value!r} is not a number") from None
    if isinstance(value, sympy.Basic) and value.is_number:
        if isinstance(value, sympy.Rational):
            return Fraction(int(value.p), int(value.q))
        if isinstance(value, sympy.Float):
            f = float(value)
            if math.isfinite(f):
                return Fraction(f)
        raise BoundsError(f"{what}: {value} is not a finite rational number")
    raise BoundsError(f"{what}: expected a finite number, got {value!r}")


@attrs.frozen
class Real:
    """A real-valued variable in the closed interval [lo, hi]."""

    lo: Fraction = attrs.field(  # type: ignore[var-annotated]
        default=None, converter=lambda v: to_fraction(v, "Real lower bound")
    )
    hi: Fraction = attrs.field(  # type: ignore[var-annotated]
        default=None, converter=lambda v: to_fraction(v, "Real upper bound")
    )

    def __attrs_post_init__(self) -> None:
        if self.lo > self.hi:
            raise BoundsError(f"Real({self.lo}, {self.hi}): lower bound exceeds upper bound")


def _to_int(value: object, what: str) -> int:
    f = to_fraction(value, what)
    if f.denominator != 1:
        raise BoundsError(f"{what}: {value!r} is not a whole number")
    return int(f)


@attrs.frozen
class Int:
    """An integer variable in the closed range [lo, hi]."""

    lo: int = attrs.field(  # type: ignore[var-annotated]
        default=None, converter=lambda v: _to_int(v, "Int lower bound")
    )
    hi: int = attrs.field(  # type: ignore[var-annotated]
        default=None, converter=lambda v: _to_int(v, "Int upper bound")
    )

    def __attrs_post_init__(self) -> None:
        if self.lo > self.hi:
            raise BoundsError(f"Int({self.lo}, {self.hi}): lower bound exceeds upper bound")


@attrs.frozen
class Bool:
    """A boolean variable; in arithmetic it counts as 0 (False) or 1 (True)."""


@attrs.frozen(init=False)
class Choice:
    """A variable taking one of finitely many string labels, e.g. ``Choice("feed", "search")``."""

    labels: tuple[str, ...]

    def __init__(self, *labels: str) -> None:
        if not labels:
            raise SpaceError("Choice() needs at least one label, e.g. Choice('feed', 'search')")
        for label in labels:
            if not isinstance(label, str) or not label:
                raise SpaceError(f"Choice labels must be non-empty strings, got {label!r}")
        if len(set(labels)) != len(labels):
            dup = sorted({x for x in labels if labels.count(x) > 1})
            raise SpaceError(f"Choice{labels}: duplicate label(s) {dup}")
        self.__attrs_init__(tuple(labels))

    def index(self, label: str) -> int:
        return self.labels.index(label)


Variable = Real | Int | Bool | Choice


class BoolSymbol(sympy.Symbol):  # type: ignore[misc]
    """The symbol of a Bool variable.

    sympy's ``ITE`` treats a symbol used as a condition as "binary" and rewrites a
    comparison of it with a number, ``Eq(b, 1)``, to ``false`` (a boolean never equals 1),
    even under ``evaluate(False)``.  alignspec reads a Bool compared with a number as 0/1,
    so its Bool symbols opt out of that rewriting and mean the same everywhere.
    """

    @property
    def binary_symbols(self) -> set[sympy.Basic]:
        return set()


class ChoiceSymbol(sympy.Symbol):  # type: ignore[misc]
    """The symbol of a Choice variable.

    ``v.mode == "feed"`` is Python's equality of a symbol and a string: always False, so a
    requirement written that way silently became the literal ``false``.  A Choice symbol
    refuses the comparison and points at :func:`alignspec.eq`.
    """

    def _refuse(self, op: str, other: str) -> UnknownLabelError:
        fn = "eq" if op == "==" else "ne"
        return UnknownLabelError(
            f"{self} {op} {other!r} compares Choice variable {self} with a string in Python, "
            f"which is always {op == '!='} and never a condition; write "
            f"al.{fn}({self}, {other!r})"
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            raise self._refuse("==", other)
        result: bool = super().__eq__(other)
        return result

    def __ne__(self, other: object) -> bool:
        if isinstance(other, str):
            raise self._refuse("!=", other)
        result: bool = super().__ne__(other)
        return result

    __hash__ = sympy.Symbol.__hash__

    def _sympyrepr(self, printer: object) -> str:
        """srepr as before (spec content hashes, and so stored certificates, stay valid)."""
        return f"Symbol({self.name!r})"


def make_symbol(name: str, variable: Variable) -> sympy.Symbol:
    """The canonical sympy symbol of a variable (assumptions help sympy simplify soundly).

    Made with ``Symbol.__xnew__``, the constructor ``Symbol(...)`` calls once it has
    checked the assumptions and missed sympy's cache: a fifth of the cost (spaces and their
    role copies make thousands), and equal to (and hashing like) the cached symbol."""
    if isinstance(variable, Real):
        return _new_symbol(sympy.Symbol, name, real=True)
    if isinstance(variable, Int):
        return _new_symbol(sympy.Symbol, name, integer=True)
    if isinstance(variable, Bool):
        return _new_symbol(BoolSymbol, name)
    return _new_symbol(ChoiceSymbol, name)


def _new_symbol(cls: type[sympy.Symbol], name: str, **assumptions: bool) -> sympy.Symbol:
    make = getattr(cls, "__xnew__", None)
    if make is None:  # a sympy without it: the public constructor
        return cls(name, **assumptions)
    symbol: sympy.Symbol = make(cls, name, **assumptions)
    return symbol


class Vars:
    """Attribute (and item) access to a space's sympy symbols: ``space.vars.engagement``."""

    def __init__(self, symbols: Mapping[str, sympy.Symbol]) -> None:
        self._symbols = dict(symbols)

    def __getattr__(self, name: str) -> sympy.Symbol:
        try:
            return self._symbols[name]
        except KeyError:
            raise AttributeError(
                f"space has no variable {name!r}; it has {sorted(self._symbols)}"
            ) from None

    def __getitem__(self, name: str) -> sympy.Symbol:
        return self.__getattr__(name)

    def __iter__(self) -> Iterator[sympy.Symbol]:
        return iter(self._symbols.values())

    def __len__(self) -> int:
        return len(self._symbols)

    def __dir__(self) -> list[str]:
        return sorted(self._symbols)

    def __getstate__(self) -> dict[str, sympy.Symbol]:
        return self._symbols

    def __setstate__(self, state: dict[str, sympy.Symbol]) -> None:
        self._symbols = state


@attrs.frozen(init=False)
class Space:
    """A typed state space of named variables.

    ``Space(x=Real(0, 1), n=Int(0, 9), on=Bool(), mode=Choice("a", "b"))``
    """

    variables: Mapping[str, Variable]
    # built once: user code reads ``space.vars.x`` in loops, and sympy symbols cost to make
    _symbols: dict[str, sympy.Symbol] = attrs.field(init=False, repr=False, eq=False)
    _vars: Vars = attrs.field(init=False, repr=False, eq=False)
    # derived data made on first use (e.g. the symbols of a role's copy of the space)
    _cache: dict[object, Any] = attrs.field(init=False, repr=False, eq=False)

    def __init__(self, **variables: Variable) -> None:
        if not variables:
            raise SpaceError("Space() needs at least one variable, e.g. Space(x=Real(0, 1))")
        for name, var in variables.items():
            if not name.isidentifier():
                raise SpaceError(f"variable name {name!r} is not a Python identifier")
            if not isinstance(var, (Real, Int, Bool, Choice)):
                raise SpaceError(
                    f"variable {name!r} is {var!r}; use Real(lo, hi), Int(lo, hi), Bool() "
                    "or Choice(*labels) (Real and Int need both finite bounds)"
                )
        for name, var in variables.items():
            if isinstance(var, Choice):
                clash = sorted(set(var.labels) & set(variables))
                if clash:
                    raise SpaceError(
                        f"Choice variable {name!r} has label(s) {clash} that are also variable "
                        "names; rename the label or the variable so comparisons are unambiguous"
                    )
        self.__attrs_init__(dict(variables))
        symbols = {name: make_symbol(name, var) for name, var in variables.items()}
        object.__setattr__(self, "_symbols", symbols)
        object.__setattr__(self, "_vars", Vars(symbols))
        object.__setattr__(self, "_cache", {})

    @classmethod
    def from_gym(cls, observation_space: Any, names: object = None) -> Space:
        """The Space of a gymnasium observation space, variables in gymnasium's order:
        ``Discrete(n, start=s)`` is one Int(s, s + n - 1) named ``obs``; ``Box`` (finite
        bounds; an integer dtype gives Int) and ``MultiDiscrete`` give one variable per
        element, ``obs_0``, ``obs_1``, ...; ``MultiBinary`` Bools; ``Dict`` its keys' spaces
        in order, named after the keys.  ``names`` overrides: a name, a sequence of names,
        or for a Dict a mapping from key to either.  Needs gymnasium
        (``pip install alignspec[gym]``)."""
        from alignspec.integrations.gym import space_from_gym

        return space_from_gym(observation_space, names)

    def cached(self, key: object, make: Callable[[], T]) -> T:
        """``make()``, computed once per space and ``key`` (for derived data only)."""
        try:
            value: T = self._cache[key]
        except KeyError:
            value = self._cache[key] = make()
        return value

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.variables)

    @property
    def symbols(self) -> dict[str, sympy.Symbol]:
        """The sympy symbol of each variable, by name (a fresh dict: yours to change)."""
        return dict(self._symbols)

    @property
    def vars(self) -> Vars:
        """The sympy symbols of the variables, by name."""
        return self._vars

    def __getitem__(self, name: str) -> Variable:
        return self.variables[name]

    def __contains__(self, name: object) -> bool:
        return name in self.variables

    def __len__(self) -> int:
        return len(self.variables)

    def check_state(self, state: Mapping[str, object]) -> State:
        """Validate a concrete state against the types and bounds; returns a normalised copy."""
        missing = [n for n in self.variables if n not in state]
        extra = [n for n in state if n not in self.variables]
        if missing or extra:
            raise SpaceError(f"state {dict(state)!r}: missing {missing}, unknown {extra}")
        out: State = {}
        for name, var in self.variables.items():
            value = state[name]
            if isinstance(var, Bool):
                if not isinstance(value, bool):
                    raise SpaceError(f"{name}={value!r}: Bool variable needs True or False")
                out[name] = value
            elif isinstance(var, Choice):
                if value not in var.labels:
                    raise SpaceError(f"{name}={value!r}: not one of the labels {var.labels}")
                out[name] = str(value)
            else:
                number = to_fraction(value, f"value of {name}")
                if not var.lo <= number <= var.hi:
                    raise SpaceError(f"{name}={value!r} lies outside [{var.lo}, {var.hi}]")
                if isinstance(var, Int):
                    if number.denominator != 1:
                        raise SpaceError(f"{name}={value!r}: Int variable needs a whole number")
                    out[name] = int(number)
                else:
                    out[name] = number
        return out

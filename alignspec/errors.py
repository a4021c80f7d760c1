"""Typed errors for bad input: every message names the culprit and says how to fix it."""

from __future__ import annotations

from collections.abc import Sequence


class SpecError(Exception):
    """Base class of every error alignspec raises for bad input."""


class SpaceError(SpecError):
    """A variable definition is malformed (bad name, duplicate label, ...)."""


class BoundsError(SpaceError):
    """A Real or Int variable has a missing, infinite or inverted bound."""


class UnknownSymbolError(SpecError):
    """An expression uses a symbol that is not a variable of the space."""


class NotBooleanError(SpecError):
    """A constraint (require / assume / condition) is not a boolean formula."""


class NotNumericError(SpecError):
    """An objective or arithmetic operand is not a number (e.g. a Choice variable)."""


class UnsupportedExpressionError(SpecError):
    """The expression uses a construct the solver translation cannot encode exactly."""


class UnknownLabelError(SpecError):
    """A Choice variable is compared with a label it does not have."""


class UnsatisfiableAssumptionsError(SpecError):
    """The assumptions admit no state at all; ``core`` lists the conflicting ones."""

    def __init__(self, message: str, core: Sequence[str]) -> None:
        super().__init__(message)
        self.core = tuple(core)


class SpecFileError(SpecError):
    """A spec file could not be imported or defines no Spec."""


class OptionError(SpecError):
    """A check was called with an invalid option (negative margin, zero points, ...)."""

"""Typed errors for bad input: every message names the culprit and says how to fix it."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TypeVar

E = TypeVar("E", bound="SpecError")


class SpecError(Exception):
    """Base class of every error alignspec raises for bad input."""

    def prefixed(self: E, where: str) -> E:
        """The same error (same type, same data) with ``where`` in front of its message."""
        out = copy.copy(self)
        out.args = (f"{where}: {self}", *self.args[1:])
        return out

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


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


class LabelCountError(UnknownLabelError):
    """Integer classes or actions were mapped to labels by index, and the counts disagree
    (more classes than labels, a class outside ``range(len(labels))``, ...)."""


class UnsatisfiableAssumptionsError(SpecError):
    """The assumptions admit no state at all; ``core`` lists the conflicting ones."""

    def __init__(self, message: str, core: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.core = tuple(core)  # (a default keeps copy and pickle able to rebuild it)


class OutsidePolicyError(SpecError):
    """A policy defined on some states only (a table without a default) was asked to act
    at a state outside them."""


class UndecidedWarning(UserWarning):
    """Something alignspec checks on construction (e.g. that the assumptions admit a state)
    could not be decided within its budget."""


class RationalisedWarning(UserWarning):
    """Float probabilities (e.g. a gymnasium transition table's) were replaced by nearby
    rationals within a stated tolerance, or rows renormalised to sum to exactly 1."""


class SpecFileError(SpecError):
    """A spec file could not be imported or defines no Spec."""


class OptionError(SpecError):
    """A check was called with an invalid option (negative margin, zero points, ...)."""


class ModelTooLargeError(SpecError):
    """A model would not fit in this machine's memory: raised while it is being built,
    naming its size so far, before the operating system kills the process."""


class ClusterError(SpecError):
    """Work was sent to a cluster that cannot take it: dask is not installed (``pip install
    'alignspec[dask]'``), the scheduler cannot be reached, or no worker joined it."""

"""Outer alignment: does the specified reward match the intended objective?"""

from alignspec.outer._goodhart import goodhart_curve
from alignspec.outer._hacking import hacking
from alignspec.outer._inversion import inversion
from alignspec.outer._requirements import requirements

__all__ = ["goodhart_curve", "hacking", "inversion", "requirements"]

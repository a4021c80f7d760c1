"""Outer alignment: does the specified reward match the intended objective?"""

from alignspec.outer.goodhart import goodhart_curve
from alignspec.outer.hacking import hacking
from alignspec.outer.inversion import inversion
from alignspec.outer.requirements import requirements

__all__ = ["goodhart_curve", "hacking", "inversion", "requirements"]

"""The only package that imports z3: translation, budgets, optimisation, SMT-LIB export."""

from alignspec.solver.backend import (
    DEFAULT_RLIMIT,
    Budget,
    Optimum,
    Outcome,
    Problem,
    encoding_value,
    is_supremum,
    maximize,
    smt2,
    solve,
    solver_versions,
)
from alignspec.solver.isolation import isolated

__all__ = [
    "DEFAULT_RLIMIT",
    "Budget",
    "Optimum",
    "Outcome",
    "Problem",
    "encoding_value",
    "is_supremum",
    "isolated",
    "maximize",
    "smt2",
    "solve",
    "solver_versions",
]

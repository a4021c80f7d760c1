"""The only package that imports z3: translation, budgets, optimisation, SMT-LIB export."""

from alignspec.solver.backend import (
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

__all__ = [
    "Budget",
    "Optimum",
    "Outcome",
    "Problem",
    "encoding_value",
    "is_supremum",
    "maximize",
    "smt2",
    "solve",
    "solver_versions",
]

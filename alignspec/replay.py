"""Replay: exact evaluation of a query's constraints on concrete states."""

from __future__ import annotations

from collections.abc import Mapping

from alignspec.errors import SpecError
from alignspec.solver import Problem
from alignspec.space import State
from alignspec.symbolic.evaluate import holds
from alignspec.symbolic.rename import flatten


def replays(problem: Problem, states: Mapping[str, State]) -> bool:
    """Whether every role's state lies in its space and every constraint holds exactly."""
    try:
        for role, space in problem.roles.items():
            space.check_state(states[role])
    except (SpecError, KeyError):
        return False
    env = flatten(states)
    scope = problem.scope
    return all(holds(expr, scope, env) for _, expr in problem.constraints)

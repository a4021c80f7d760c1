"""Replay: exact evaluation of a query's constraints on concrete states."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from alignspec.errors import SpecError
from alignspec.solver import Problem
from alignspec.space import Choice, State
from alignspec.symbolic.evaluate import holds
from alignspec.symbolic.network import NetworkLink
from alignspec.symbolic.rename import flatten


def replays(problem: Problem, states: Mapping[str, State]) -> bool:
    """Whether every role's state lies in its space, every constraint holds exactly, and
    every network link's action is the network's exact output on that state."""
    try:
        for role, space in problem.roles.items():
            space.check_state(states[role])
    except (SpecError, KeyError):
        return False
    env = flatten(states)
    scope = problem.scope
    if not all(holds(expr, scope, env) for _, expr in problem.constraints):
        return False
    return all(_network_replays(link, problem, states) for link in problem.networks)


def _network_replays(link: NetworkLink, problem: Problem, states: Mapping[str, State]) -> bool:
    state = states[link.role]
    x = [
        Fraction(int(v)) if isinstance(v, bool) else Fraction(v)
        for v in (state[n] for n in link.inputs)
    ]
    out = link.network.forward(x)
    if link.mode == "affine":
        return all(Fraction(state[n]) == y for n, y in zip(link.outputs, out, strict=True))
    assert link.action is not None
    choice = problem.roles[link.role].variables[link.action]
    assert isinstance(choice, Choice)
    best = max(out) if link.mode == "argmax" else min(out)
    return state[link.action] == choice.labels[out.index(best)]

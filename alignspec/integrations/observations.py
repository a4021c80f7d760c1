"""Between a gymnasium environment and a Space: observations as exact states, action
labels as the environment's integers."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from alignspec.actions import Actions
from alignspec.errors import LabelCountError, SpaceError
from alignspec.space import Bool, Choice, Int, Space, State


def flat_observation(obs: object) -> list[object]:
    """An observation's entries in the order Space.from_gym names them: arrays row-major,
    a Dict's values in its key order, a scalar as one entry."""
    if isinstance(obs, Mapping):
        return [x for value in obs.values() for x in flat_observation(value)]
    if isinstance(obs, (tuple, list)):
        return [x for value in obs for x in flat_observation(value)]
    return list(np.asarray(obs).reshape(-1).tolist())


def observation_state(space: Space, obs: object) -> State:
    """The exact state an observation denotes: entries in ``space.names`` order; floats
    are the rationals they hold, integers stay integers, Bools are 0/1, a Choice is its
    label's index.  The state is not checked against the bounds (see :func:`inside`)."""
    values = flat_observation(obs)
    if len(values) != len(space.names):
        raise LabelCountError(
            f"an observation has {len(values)} entries {values[:6]}; the Space has "
            f"{len(space.names)} variables {list(space.names)}: give a Space with one "
            "variable per entry, in the observation's order"
        )
    state: State = {}
    for name, value in zip(space.names, values, strict=True):
        var = space.variables[name]
        if isinstance(var, Bool):
            state[name] = bool(value)
        elif isinstance(var, Choice):
            state[name] = var.labels[int(value)]  # type: ignore[call-overload]
        elif isinstance(var, Int):
            state[name] = int(value)  # type: ignore[call-overload]
        else:
            state[name] = Fraction(float(value))  # type: ignore[arg-type]
    return state


def inside(space: Space, state: State) -> bool:
    """Whether ``state`` lies within the Space's bounds (the states the checks covered)."""
    try:
        space.check_state(state)
    except SpaceError:
        return False
    return True


def env_action(env: Any, actions: Actions, label: object) -> int:
    """The environment's integer for an action label (``Discrete(n, start=s)``: s + k for
    ``labels[k]``)."""
    start = int(getattr(getattr(env, "action_space", None), "start", 0))
    return start + actions.index(actions.label(label))


def action_label(env: Any, actions: Actions, action: object) -> str:
    """The label of an environment's integer action (or a label, unchanged)."""
    if isinstance(action, str):
        return actions.label(action)
    start = int(getattr(getattr(env, "action_space", None), "start", 0))
    value = np.asarray(action).reshape(-1)
    if value.size != 1:
        raise LabelCountError(f"action {action!r} is not a single integer action")
    return actions.label(int(value[0]) - start)

"""States met by running a policy in a real gymnasium environment: the training data of
policy extraction (``alignspec.extract(policy, env=env)``)."""

from __future__ import annotations

import random
from typing import Any

from alignspec.actions import Actions
from alignspec.errors import SpecError
from alignspec.integrations.observations import env_action, inside, observation_state
from alignspec.policy.base import Policy
from alignspec.space import Space, State

EMPTY_EPISODES = 100
"""Episodes in a row that start outside the Space before rollouts give up."""


def rollout_states(
    env: Any,
    space: Space,
    actions: Actions,
    driver: Policy,
    count: int,
    rng: random.Random,
    horizon: int,
) -> tuple[list[State], int]:
    """``count`` states visited by ``driver`` acting in ``env`` (episodes of at most
    ``horizon`` steps, each reset with a seed drawn from ``rng``), and how many episodes
    were cut short because an observation left the Space (the checks cover only states
    inside it, so the tree is not trained beyond it)."""
    out: list[State] = []
    cut = empty = 0
    while len(out) < count:
        try:
            obs, _ = env.reset(seed=rng.randrange(2**31))
        except Exception as err:  # the user's environment: typed, with what failed
            raise SpecError(f"env.reset raised {type(err).__name__}: {err}") from err
        visited = 0
        for _ in range(horizon):
            state = observation_state(space, obs)
            if not inside(space, state):
                cut += 1
                break
            out.append(state)
            visited += 1
            label = str(driver.act(state))
            try:
                obs, _, terminated, truncated, _ = env.step(env_action(env, actions, label))
            except Exception as err:
                raise SpecError(
                    f"env.step raised {type(err).__name__}: {err} at state {state}, "
                    f"action {label!r}"
                ) from err
            if terminated or truncated:
                break
        empty = 0 if visited else empty + 1
        if empty >= EMPTY_EPISODES:
            first = observation_state(space, obs)
            raise SpecError(
                f"{EMPTY_EPISODES} episodes in a row started outside the Space (e.g. at "
                f"{first}): widen the Space to the observations the environment produces"
            )
    return out[:count], cut

"""Search for a violation by sampling when the solver gives up; never a proof."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable

from alignspec.replay import replays
from alignspec.solver import Problem
from alignspec.space import State
from alignspec.strategies import states


def sample_search(problem: Problem, examples: int, seed: int = 0) -> dict[str, State] | None:
    """Role -> state satisfying every constraint exactly, or None after ``examples`` tries."""
    strategy = st.fixed_dictionaries({role: states(space) for role, space in problem.roles.items()})
    config = settings(
        max_examples=examples,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    try:
        return find(
            strategy, lambda s: replays(problem, s), settings=config, random=random.Random(seed)
        )
    except (NoSuchExample, Unsatisfiable):
        return None

"""Search for a violation by sampling when the solver gives up; never a proof."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable

from alignspec.replay import replays
from alignspec.solver import Budget, Problem
from alignspec.space import State
from alignspec.strategies import states

T = TypeVar("T")


class OutOfTime(Exception):
    """The check's wall-clock budget ran out during sampling."""


def sample(
    strategy: st.SearchStrategy[T],
    hit: Callable[[T], bool],
    examples: int,
    budget: Budget | None = None,
    seed: int = 0,
) -> T | None:
    """The first (shrunk) example satisfying ``hit``, or None after ``examples`` tries.

    Derandomised (same answer on every run).  Raises :class:`OutOfTime` once ``budget``'s
    deadline has passed.
    """
    config = settings(
        max_examples=max(examples, 1),
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )

    def timed(example: T) -> bool:
        if budget is not None and budget.expired:
            raise OutOfTime
        return hit(example)

    try:
        return find(strategy, timed, settings=config, random=random.Random(seed))
    except (NoSuchExample, Unsatisfiable):
        return None


def sample_search(
    problem: Problem, examples: int, budget: Budget | None = None, seed: int = 0
) -> dict[str, State] | None:
    """Role -> state satisfying every constraint exactly, or None after ``examples`` tries."""
    strategy = st.fixed_dictionaries({role: states(space) for role, space in problem.roles.items()})
    return sample(strategy, lambda s: replays(problem, s), examples, budget, seed)

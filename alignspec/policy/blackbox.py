"""Black-box policies: evaluation only, so checks can sample them but never prove."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from alignspec.actions import Actions, ActionSpace, action_space
from alignspec.errors import SpecError
from alignspec.policy.base import Action, Policy
from alignspec.space import State


class CallablePolicy(Policy):
    """Any Python callable ``fn(state) -> action`` (a label, or a dict of action values).

    The solver cannot see inside it: checks search it by sampling (a replayed hit is a
    VIOLATED witness) and otherwise answer UNKNOWN.  Extract a tree to prove things.
    """

    def __init__(self, space: object, actions: ActionSpace, fn: Callable[[State], object]) -> None:
        super().__init__(space, actions)  # type: ignore[arg-type]
        if not callable(fn):
            raise SpecError(f"CallablePolicy needs a callable, got {fn!r}")
        self.fn = fn

    def act(self, state: Mapping[str, object]) -> Action:
        s = self.state_of(state)
        try:
            action = self.fn(dict(s))
        except Exception as err:  # the user's code: report where it failed, typed
            raise SpecError(
                f"the policy function raised {type(err).__name__}: {err} at state {s}"
            ) from err
        if isinstance(self.actions, Actions):
            if not isinstance(action, str) or action not in self.actions.labels:
                raise SpecError(
                    f"the policy returned {action!r} at {s}; expected one of {self.actions.labels}"
                )
            return action
        if not isinstance(action, Mapping):
            raise SpecError(
                f"the policy returned {action!r} at {s}; expected a dict of "
                f"{action_space(self.actions).names}"
            )
        return action_space(self.actions).check_state(action)

"""Black-box policies: evaluation only, so checks can sample them but never prove."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from alignspec.actions import Actions, ActionSpace, action_space, label_at
from alignspec.errors import SpecError, UnknownLabelError
from alignspec.policy.base import Action, Policy, exact, index_labels
from alignspec.space import State


class CallablePolicy(Policy):
    """Any Python callable ``fn(state) -> action`` (a label, or a dict of action values).

    The solver cannot see inside it: checks search it by sampling (a replayed hit is a
    VIOLATED witness) and otherwise answer UNKNOWN.  Extract a tree to prove things.

    With ``vector=True`` ``fn`` receives a numpy float64 row in ``space.names`` order (Bool
    as 0/1, a Choice as its label's index) instead of a dict of exact values: what a
    stable-baselines3 ``model.predict(obs)`` wants.  The policy *is* ``fn`` on that row, so
    witnesses replay on the original callable exactly as a check saw them.  For finite
    actions ``fn`` may then return an integer action (a numpy integer or a one-element
    array too) given ``labels``: integer k is ``labels[k]`` (``labels=actions.labels`` for
    the actions' own order).  For action variables it may return a sequence of numbers in
    the action space's variable order.
    """

    def __init__(
        self,
        space: object,
        actions: ActionSpace,
        fn: Callable[..., object],
        *,
        vector: bool = False,
        labels: Sequence[str] | None = None,
    ) -> None:
        super().__init__(space, actions)  # type: ignore[arg-type]
        if not callable(fn):
            if callable(getattr(fn, "predict", None)):
                raise SpecError(
                    f"CallablePolicy needs a callable; {type(fn).__name__} is a model with a "
                    ".predict method: wrap it, e.g. CallablePolicy(space, actions, "
                    "lambda obs: model.predict(obs, deterministic=True)[0], vector=True, "
                    "labels=actions.labels) for a stable-baselines3 model"
                )
            raise SpecError(f"CallablePolicy needs a callable, got {fn!r}")
        if not isinstance(vector, bool):
            raise SpecError(f"vector={vector!r} must be True or False")
        if labels is not None and not isinstance(actions, Actions):
            raise SpecError("labels= maps integer actions to finite Actions' labels")
        self.fn = fn
        self.vector = vector
        self.labels = None if labels is None else index_labels(actions, labels)  # type: ignore[arg-type]

    def argument(self, state: State) -> object:
        """What ``fn`` receives at ``state``: a dict, or a float row with ``vector=True``."""
        if self.vector:
            return np.array(self.encode_row(state), dtype=np.float64)
        return dict(state)

    def act(self, state: Mapping[str, object]) -> Action:
        s = self.state_of(state)
        try:
            action = self.fn(self.argument(s))
        except Exception as err:  # the user's code: report where it failed, typed
            raise SpecError(
                f"the policy function raised {type(err).__name__}: {err} at state {s}"
            ) from err
        if isinstance(self.actions, Actions):
            return self._label(action, s)
        names = action_space(self.actions).names
        if not isinstance(action, Mapping):
            values = np.asarray(action, dtype=object).reshape(-1) if _numbers(action) else None
            if values is None or len(values) != len(names):
                raise SpecError(
                    f"the policy returned {action!r} at {s}; expected a dict of {names}"
                    + (f" or {len(names)} numbers in that order" if self.vector else "")
                )
            action = {n: exact(x, f"action {n!r}") for n, x in zip(names, values, strict=True)}
        return action_space(self.actions).check_state(action)

    def _label(self, action: object, s: State) -> str:
        assert isinstance(self.actions, Actions)
        if isinstance(action, str) and action in self.actions.labels:
            return action
        if self.labels is not None and not isinstance(action, str):
            try:
                return label_at(self.labels, action, "the policy's action")
            except UnknownLabelError as err:
                raise err.prefixed(f"at {s}") from None
        hint = (
            "; for integer actions pass labels=actions.labels (k is the k-th action)"
            if _numbers(action)
            else ""
        )
        raise SpecError(
            f"the policy returned {action!r} at {s}; expected one of {self.actions.labels}{hint}"
        )


def _numbers(value: Any) -> bool:
    """A number, or an array / sequence of numbers (what models return)."""
    if isinstance(value, (str, bytes, Mapping)):
        return False
    try:
        arr = np.asarray(value)
    except Exception:
        return False
    return arr.dtype.kind in "iuf"

"""A runtime shield: a gymnasium wrapper that enforces a spec's requirements at every step.

The checks prove (or refute) that a policy meets the requirements over a whole region; the
shield carries the same requirements into deployment, where the acting agent may not be
the checked policy, observations may leave the checked region, and a refuted policy still
has to run.  Each step the proposed action is checked exactly at the current observation;
an action that breaks a requirement is replaced by the first action that meets them there
(a proof for that concrete state), and the intervention is logged.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, SupportsFloat

import attrs
import sympy

from alignspec.actions import Actions
from alignspec.errors import OptionError, SpecError
from alignspec.integrations.gym import _gym
from alignspec.integrations.observations import (
    action_label,
    env_action,
    inside,
    observation_state,
)
from alignspec.mdp.system import TransitionSystem
from alignspec.policy.base import Policy
from alignspec.results import Finding
from alignspec.space import Space, State
from alignspec.spec import Spec
from alignspec.symbolic.evaluate import holds, value_of
from alignspec.symbolic.shape import checked

# gymnasium is optional: imported here (a SpecError saying how to install it otherwise)
_Wrapper: Any = _gym().Wrapper


@attrs.frozen
class Intervention:
    """One step where the shield acted (episode counted from 1, step from 0 within it):
    the state (exact), the proposed action, the action
    taken instead (None when no action met the requirements and the proposal passed
    through), and which requirement the proposal broke."""

    episode: int
    step: int
    state: State
    proposed: str
    taken: str | None
    broken: str
    outside: bool = False  # the observation lay outside the Space the checks covered


class Shield(_Wrapper):  # type: ignore[misc]
    """Wrap ``env`` so that every action meets ``spec``'s requirements at the current
    observation (requirements over the state variables and the action, as the policy
    checks read them; or ``require=``, conditions over the same).

    ``space`` reads observations (one variable per entry, in order; default: the spec's
    state variables); ``actions`` names the environment's integer actions.  With
    ``system`` (a deterministic TransitionSystem) and ``safe`` (a condition over the
    state), an action must also keep the system's next state inside ``safe``: a one-step
    lookahead on the model, as exact as the rest.  Replacements are tried in
    ``actions`` order, or ``backup``'s choice first (a policy).  With ``policy``, the
    shield runs the policy check once (``alignspec.inner.verify``) and keeps its finding
    in ``verdict``: PROVED means the checked policy never needs the shield inside the
    Space; interventions then come from another actor or from states outside it.

    ``interventions`` lists every :class:`Intervention`; ``info["shield"]`` carries the
    step's intervention (or None).  ``strict=True`` raises a SpecError when no action
    meets the requirements, instead of passing the proposal through with a warning.
    """

    def __init__(
        self,
        env: Any,
        spec: Spec | None = None,
        actions: Actions | None = None,
        *,
        require: Sequence[object] = (),
        space: Space | None = None,
        system: TransitionSystem | None = None,
        safe: object = None,
        backup: Policy | None = None,
        policy: Policy | None = None,
        strict: bool = False,
    ) -> None:
        super().__init__(env)
        if actions is None:
            actions = getattr(policy, "actions", None) or getattr(backup, "actions", None)
        if not isinstance(actions, Actions):
            raise OptionError("Shield needs actions=alignspec.Actions(...) naming env's actions")
        self.actions = actions
        self.space = space or _state_space(spec, system, actions)
        self.domain = Space(**self.space.variables, **actions.space.variables)
        self.rules = _rules(spec, require, self.domain)
        self.system = system
        self.safe = None if safe is None else checked(safe, self.space, "safe", condition=True)
        if (system is None) != (safe is None):
            raise OptionError("the one-step lookahead needs both system= and safe=")
        if system is not None and system.update is None:
            raise OptionError("system= must be deterministic (TransitionSystem.deterministic)")
        self.backup = backup
        self.strict = strict
        self.verdict: Finding | None = None
        if policy is not None:
            if spec is None:
                raise OptionError("policy= is checked against spec=; give the Spec")
            from alignspec.inner import verify

            self.verdict = verify(policy, spec)
        self.interventions: list[Intervention] = []
        self.episodes = 0  # resets so far
        self.steps = 0  # steps in the current episode
        self._obs: object = None

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self._obs = obs
        self.episodes += 1
        self.steps = 0
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        if self._obs is None:
            raise OptionError("call reset() before step()")
        state = observation_state(self.space, self._obs)
        proposed = action_label(self.env, self.actions, action)
        event = self._decide(state, proposed)
        taken = proposed if event is None or event.taken is None else event.taken
        obs, reward, terminated, truncated, info = self.env.step(
            env_action(self.env, self.actions, taken)
        )
        self._obs = obs
        self.steps += 1
        info = dict(info)
        info["shield"] = event
        return obs, reward, terminated, truncated, info

    def allowed(self, state: State, label: str) -> str | None:
        """None when ``label`` meets every requirement (and the lookahead) at ``state``,
        exactly; otherwise the name of the first one it breaks."""
        point = {**state, self.actions.name: label}
        for name, rule in self.rules:
            if not holds(rule, self.domain.variables, point):
                return name
        if self.system is not None and self.system.update is not None:
            after = {
                n: value_of(e, self.system.domain.variables, point)
                for n, e in self.system.update.items()
            }
            if not holds(self.safe, self.space.variables, after):
                return "safe after one step"
        return None

    def _decide(self, state: State, proposed: str) -> Intervention | None:
        broken = self.allowed(state, proposed)
        if broken is None:
            return None
        outside = not inside(self.space, state)
        order = list(self.actions.labels)
        if self.backup is not None:
            first = str(self.backup.act(state))
            order = [first] + [a for a in order if a != first]
        for label in order:
            if label != proposed and self.allowed(state, label) is None:
                event = Intervention(
                    self.episodes, self.steps, state, proposed, label, broken, outside
                )
                self.interventions.append(event)
                return event
        event = Intervention(self.episodes, self.steps, state, proposed, None, broken, outside)
        self.interventions.append(event)
        message = (
            f"no action meets the requirements at {state} (episode {self.episodes}, "
            f"step {self.steps}): {proposed!r} breaks {broken}"
        )
        if self.strict:
            raise SpecError(message)
        warnings.warn(f"shield: {message}; the proposed action passes", stacklevel=3)
        return event


def _state_space(spec: Spec | None, system: TransitionSystem | None, actions: Actions) -> Space:
    if system is not None:
        return system.space
    if spec is None:
        raise OptionError("Shield needs spec=, space= or system= to read observations")
    return spec.space


def _rules(
    spec: Spec | None, require: Sequence[object], domain: Space
) -> list[tuple[str, sympy.Basic]]:
    rules = (
        [(name, checked(e, domain, name, condition=True)) for name, e in spec.requirements]
        if spec
        else []
    )
    rules += [
        (f"require[{i}]", checked(e, domain, f"require[{i}]", condition=True))
        for i, e in enumerate(require)
    ]
    return rules

"""gymnasium: observation and action spaces as alignspec Spaces and Actions, and the
transition tables of toy-text environments (FrozenLake, Taxi, CliffWalking) as exact MDPs.

gymnasium is optional (``pip install alignspec[gym]``) and imported only when needed.
Spaces are read by duck typing first (``n``/``start``, ``low``/``high``, ``nvec``), so the
functions work on any object shaped like a gymnasium space.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
import numpy as np

from alignspec.actions import Actions
from alignspec.errors import (
    BoundsError,
    LabelCountError,
    RationalisedWarning,
    SpaceError,
    SpecError,
)
from alignspec.mdp.model import MDP
from alignspec.space import Bool, Int, Real, Space, Variable


def _gym() -> Any:
    try:
        import gymnasium
    except ImportError:  # pragma: no cover - depends on the installation
        raise SpecError(
            "this needs gymnasium: pip install 'alignspec[gym]' (or pip install gymnasium)"
        ) from None
    return gymnasium


def _kind(space: Any) -> str:
    """Which gymnasium space this is, by class when gymnasium is importable."""
    spaces = _gym().spaces
    for kind in ("Discrete", "Box", "MultiDiscrete", "MultiBinary", "Dict"):
        if isinstance(space, getattr(spaces, kind)):
            return kind
    raise SpaceError(
        f"{type(space).__name__} is not a gymnasium space alignspec reads; it reads Discrete, "
        "Box with finite bounds, MultiDiscrete, MultiBinary and Dict of those"
    )


def _names(given: object, count: int, default: str, what: str) -> list[str]:
    if given is None:
        return [default] if count == 1 else [f"{default}_{k}" for k in range(count)]
    names = [given] if isinstance(given, str) else list(given)  # type: ignore[call-overload]
    if len(names) != count:
        raise LabelCountError(f"{what}: {len(names)} name(s) {names} for {count} variable(s)")
    for n in names:
        if not isinstance(n, str) or not n.isidentifier():
            raise SpaceError(f"{what}: variable name {n!r} is not a Python identifier")
    return names


def _variables(space: Any, names: object, default: str) -> dict[str, Variable]:
    kind = _kind(space)
    if kind == "Discrete":
        first, size = int(space.start), int(space.n)
        (name,) = _names(names, 1, default, "Discrete")
        return {name: Int(first, first + size - 1)}
    if kind == "Dict":
        if names is not None and not isinstance(names, Mapping):
            raise SpaceError("names for a Dict space map its keys to names, e.g. {'pos': 'x'}")
        given = names or {}
        unknown = sorted(set(given) - set(space.spaces))
        if unknown:
            raise SpaceError(f"names for unknown Dict key(s) {unknown}; keys: {list(space.spaces)}")
        out: dict[str, Variable] = {}
        for key, sub in space.spaces.items():
            for sub_name, var in _variables(sub, given.get(key), str(key)).items():
                if sub_name in out:
                    raise SpaceError(f"Dict space: two variables named {sub_name!r}; pass names=")
                out[sub_name] = var
        return out
    if kind == "MultiBinary":
        count = int(np.prod(space.shape))
        return {n: Bool() for n in _names(names, count, default, "MultiBinary")}
    if kind == "MultiDiscrete":
        nvec = np.asarray(space.nvec).reshape(-1)
        starts = np.asarray(getattr(space, "start", np.zeros_like(nvec))).reshape(-1)
        ns = _names(names, len(nvec), default, "MultiDiscrete")
        return {
            n: Int(int(s), int(s) + int(k) - 1) for n, s, k in zip(ns, starts, nvec, strict=True)
        }
    low, high = np.asarray(space.low).reshape(-1), np.asarray(space.high).reshape(-1)
    ns = _names(names, len(low), default, "Box")
    integer = np.issubdtype(space.dtype, np.integer)
    box: dict[str, Variable] = {}
    for n, lo, hi in zip(ns, low, high, strict=True):
        if not (math.isfinite(float(lo)) and math.isfinite(float(hi))):
            raise BoundsError(
                f"Box variable {n!r} has bounds [{lo}, {hi}]; alignspec needs finite bounds: "
                "build the Space by hand with the range the agent really meets, e.g. "
                f"Space({n}=Real(-10, 10), ...)"
            )
        box[n] = Int(int(lo), int(hi)) if integer else Real(float(lo), float(hi))
    return box


def space_from_gym(observation_space: Any, names: object = None) -> Space:
    """The Space of a gymnasium observation space; see :meth:`alignspec.Space.from_gym`."""
    return Space(**_variables(observation_space, names, "obs"))


def actions_from_gym(
    action_space: Any, labels: Sequence[str] | None = None, name: str = "action"
) -> Actions | Space:
    """Discrete -> Actions (``labels[k]`` names action start + k); Box, MultiDiscrete,
    MultiBinary and Dict -> a Space of action variables (``labels`` names them)."""
    if _kind(action_space) == "Discrete":
        start, n = int(action_space.start), int(action_space.n)
        if labels is None:
            return Actions(*[str(start + k) for k in range(n)], name=name)
        if isinstance(labels, str):
            raise SpaceError(f"labels={labels!r} must be a sequence of labels, one per action")
        given = list(labels)
        if len(given) != n:
            raise LabelCountError(
                f"labels= has {len(given)} entries {given}; the Discrete space has {n} actions"
            )
        return Actions(*given, name=name)
    return Space(**_variables(action_space, labels, name))


@attrs.frozen
class Rationalisation:
    """How a gymnasium table's float probabilities became exact rationals.

    Each probability p became the simplest fraction q (by ``Fraction.limit_denominator``)
    with ``|q - p| <= tolerance``; ``changed`` of the ``probabilities`` moved, by at most
    ``max_change``.  ``renormalised`` lists the (state, action) rows whose rationals did
    not sum to 1, with their sum: each such row was divided by its sum, exactly.
    ``merged`` counts successors listed twice in a row (probabilities added; rewards that
    differed, ``averaged``, were replaced by their probability-weighted mean: the
    expected reward is unchanged).  ``done_conflicts``: states entered with done=True on
    some transitions and done=False on others (they are terminal)."""

    tolerance: Fraction
    probabilities: int
    changed: int
    max_change: Fraction
    renormalised: tuple[tuple[Hashable, Hashable, Fraction], ...]
    merged: int
    averaged: int
    done_conflicts: tuple[int, ...]

    @property
    def exact(self) -> bool:
        """True when nothing was changed: the MDP is the table, exactly."""
        return not (self.changed or self.renormalised or self.averaged)

    def __str__(self) -> str:
        parts = [
            f"{self.changed} of {self.probabilities} probabilities rationalised within "
            f"{self.tolerance} (largest change {float(self.max_change):.3g})"
        ]
        if self.renormalised:
            parts.append(f"{len(self.renormalised)} row(s) renormalised to sum to 1 exactly")
        if self.merged:
            parts.append(f"{self.merged} repeated successor(s) merged")
        if self.averaged:
            parts.append(f"{self.averaged} of them with differing rewards averaged")
        if self.done_conflicts:
            parts.append(
                f"{len(self.done_conflicts)} state(s) entered both with and without done "
                "(taken as terminal)"
            )
        return "; ".join(parts)


DENSE_REWARD = 10**7
"""Above this many (state, action, successor) entries, ``GymMDP.reward`` is stored sparsely
(a :class:`TableReward`) rather than as a dense (S, A, S) array (10^7 entries ~ 80 MB)."""


class TableReward:
    """A transition table's reward, stored only where the table has a transition:
    ``reward(s, a, s2)`` for the MDP's states and action labels (0 elsewhere), which every
    check accepts as a reward.  Used for tables too large for a dense (S, A, S) array."""

    def __init__(
        self,
        paid: Mapping[tuple[int, int], Mapping[int, Fraction]],
        states: Sequence[Hashable],
        labels: Sequence[Hashable],
    ) -> None:
        self._paid = paid
        self._state = {s: i for i, s in enumerate(states)}
        self._action = {a: k for k, a in enumerate(labels)}
        self.shape = (len(states), len(labels), len(states))

    def __call__(self, s: Hashable, a: Hashable, s2: Hashable) -> Fraction:
        row = self._paid.get((self._state[s], self._action[a]), {})
        return row.get(self._state[s2], Fraction(0))

    def __repr__(self) -> str:
        return f"TableReward(shape={self.shape})"


class GymMDP(MDP):
    """An MDP read from a gymnasium transition table: ``reward`` is the table's reward as
    an (S, A, S) array of exact Fractions (a :class:`TableReward` function above
    DENSE_REWARD entries), usable wherever a reward is, and ``rationalisation`` says how
    the probabilities were made exact."""

    reward: np.ndarray | TableReward
    rationalisation: Rationalisation


def _rational(p: float, tolerance: Fraction) -> Fraction:
    """The simplest rational within ``tolerance`` of ``p`` that limit_denominator finds."""
    exact = Fraction(p)
    if exact.denominator == 1 or tolerance == 0:
        return exact
    bound = 10
    while bound < exact.denominator:
        q = exact.limit_denominator(bound)
        if abs(q - exact) <= tolerance:
            return q
        bound *= 10
    return exact


def _slack(tol: Fraction, entries: int) -> Fraction:
    """How far from 1 a row of ``entries`` rationalised floats may sum and still be taken
    for a distribution: the tolerance, or float64 rounding (2^-52), per entry."""
    return max(tol, Fraction(1, 2**52)) * max(entries, 1)


def mdp_from_gym(
    env: Any,
    *,
    tolerance: object = Fraction(1, 10**9),
    gamma: object = Fraction(9, 10),
    actions: Sequence[Hashable] | None = None,
    init: Mapping[Hashable, object] | Hashable | None = None,
    name: str | None = None,
) -> GymMDP:
    """The exact MDP of an environment with a transition table ``env.unwrapped.P``; see
    :meth:`alignspec.MDP.from_gym`."""
    table = getattr(getattr(env, "unwrapped", env), "P", None)
    if not isinstance(table, Mapping):
        raise SpecError(
            f"{type(env).__name__} has no transition table env.unwrapped.P "
            "({state: {action: [(p, next, reward, done), ...]}}, as FrozenLake, Taxi and "
            "CliffWalking have); build the MDP with MDP.from_step(init, actions, step)"
        )
    tol = Fraction(tolerance) if isinstance(tolerance, (int, float, Fraction)) else None
    if tol is None or tol < 0 or isinstance(tolerance, bool):
        raise SpecError(f"tolerance={tolerance!r} must be a non-negative number")
    states = sorted(table)
    index = {s: i for i, s in enumerate(states)}
    codes = sorted(table[states[0]])
    if any(sorted(table[s]) != codes for s in states):
        raise SpecError("env.unwrapped.P has different actions in different states")
    labels = tuple(codes) if actions is None else tuple(actions)
    if len(labels) != len(codes):
        raise LabelCountError(f"actions= has {len(labels)} labels; the table has {len(codes)}")
    paid_by: dict[tuple[int, int], dict[int, Fraction]] = {}
    transitions: dict[tuple[Hashable, Hashable], list[tuple[object, Hashable]]] = {}
    count = changed = merged = averaged = 0
    biggest = Fraction(0)
    renormalised: list[tuple[Hashable, Hashable, Fraction]] = []
    done_in: dict[int, set[bool]] = {}
    for s in states:
        for a, code in enumerate(codes):
            row: dict[int, Fraction] = {}
            paid: dict[int, Fraction] = {}
            for entry in table[s][code]:
                p, s2, r, done = entry[:4]
                if float(p) == 0:
                    continue
                if s2 not in index:
                    raise SpecError(f"P[{s}][{code}] leads to {s2!r}, which has no row in P")
                count += 1
                q = _rational(float(p), tol)
                if q != Fraction(float(p)):
                    changed += 1
                    biggest = max(biggest, abs(q - Fraction(float(p))))
                j = index[s2]
                done_in.setdefault(j, set()).add(bool(done))
                value = Fraction(float(r))
                if j in row:
                    merged += 1
                    if paid[j] != value:
                        averaged += 1
                    paid[j] = (paid[j] * row[j] + value * q) / (row[j] + q)
                    row[j] += q
                else:
                    row[j], paid[j] = q, value
            total = sum(row.values(), Fraction(0))
            if total != 1:
                if abs(total - 1) > _slack(tol, len(row)):
                    raise SpecError(
                        f"P[{s}][{code}] sums to {float(total)!r}, not 1 within the tolerance "
                        f"{tol}: the table is not a distribution"
                    )
                renormalised.append((s, labels[a], total))
                row = {j: q / total for j, q in row.items()}
            paid_by[(index[s], a)] = {j: value for j, value in paid.items() if value}
            transitions[(s, labels[a])] = [(q, states[j]) for j, q in row.items()]
    terminal = [states[j] for j, flags in done_in.items() if True in flags]
    conflicts = tuple(sorted(states[j] for j, flags in done_in.items() if flags == {True, False}))
    start = _initial(env, states, tol, renormalised) if init is None else init
    record = Rationalisation(
        tol, count, changed, biggest, tuple(renormalised), merged, averaged, conflicts
    )
    spec = getattr(env, "spec", None)
    label = name or getattr(spec, "id", None) or type(getattr(env, "unwrapped", env)).__name__
    model = GymMDP(states, labels, transitions, start, gamma=gamma, terminal=terminal, name=label)
    model.reward = _reward(paid_by, states, labels)
    model.rationalisation = record
    if not record.exact:
        warnings.warn(f"{label}: {record}", RationalisedWarning, stacklevel=3)
    return model


def _reward(
    paid: dict[tuple[int, int], dict[int, Fraction]],
    states: list[Hashable],
    labels: tuple[Hashable, ...],
) -> np.ndarray | TableReward:
    n, m = len(states), len(labels)
    if n * m * n > DENSE_REWARD:
        return TableReward(paid, states, labels)
    dense = np.full((n, m, n), Fraction(0), dtype=object)
    for (i, a), row in paid.items():
        for j, value in row.items():
            dense[i, a, j] = value
    return dense


def _initial(
    env: Any,
    states: list[Hashable],
    tol: Fraction,
    renormalised: list[tuple[Hashable, Hashable, Fraction]],
) -> dict[Hashable, Fraction]:
    base = getattr(env, "unwrapped", env)
    isd = getattr(base, "initial_state_distrib", getattr(base, "isd", None))
    if isd is None:
        raise SpecError(
            f"{type(base).__name__} has no initial_state_distrib; pass init= (a state or "
            "{state: probability})"
        )
    probs = np.asarray(isd, dtype=float).reshape(-1)
    if len(probs) != len(states):
        raise SpecError(f"initial_state_distrib has {len(probs)} entries for {len(states)} states")
    mu = {s: _rational(float(p), tol) for s, p in zip(states, probs, strict=True) if p > 0}
    total = sum(mu.values(), Fraction(0))
    if total != 1:
        if abs(total - 1) > _slack(tol, len(mu)):
            raise SpecError(f"initial_state_distrib sums to {float(total)!r}, not 1")
        renormalised.append(("init", "", total))
        mu = {s: q / total for s, q in mu.items()}
    return mu


def __getattr__(name: str) -> Any:
    """``Shield`` and ``Intervention`` live in :mod:`alignspec.integrations.shield`, which
    subclasses ``gymnasium.Wrapper`` and so imports gymnasium when first asked for."""
    if name in ("Shield", "Intervention"):
        from alignspec.integrations import shield

        return getattr(shield, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

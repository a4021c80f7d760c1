"""The EPIC pseudometric between two rewards (Gleave et al. 2021)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from fractions import Fraction
from typing import Any

import attrs

from alignspec.checking.convention import about, renamed
from alignspec.checking.convention import mdp_label as _mdp_label
from alignspec.checking.deadline import tick
from alignspec.checking.run import Clock
from alignspec.errors import OptionError, SpecError
from alignspec.mdp.model import MDP, RewardLike, reward_function
from alignspec.results import Finding, Verdict
from alignspec.space import to_fraction


def _old(name: str, new: str, depth: int = 3) -> None:
    warnings.warn(
        f"Epic.{name} is now {new}; the old spelling goes away in the next release",
        DeprecationWarning,
        stacklevel=depth,
    )


@attrs.frozen
class Epic(Finding):
    """EPIC's Finding.  Until the next release it also answers to the attributes of 0.1's
    ``Epic`` record (``distance``, ``rho``, ``exact``, ``zero``, ``rho_squared``), with a
    DeprecationWarning naming the figure that replaces each."""

    def _float(self, old: str, key: str) -> float:
        _old(old, f"figures[{key!r}]", depth=4)
        value = self.figures[key]
        assert value is not None
        return float(value)

    @property
    def distance(self) -> float:
        return self._float("distance", "epic_distance")

    @property
    def rho(self) -> float:
        return self._float("rho", "epic_rho")

    @property
    def exact(self) -> bool:
        _old("exact", 'method == "exact"')
        return self.method == "exact"

    @property
    def zero(self) -> bool:
        _old("zero", "verdict is PROVED")
        return self.verdict is Verdict.PROVED

    @property
    def rho_squared(self) -> Fraction | None:
        _old("rho_squared", 'figures["epic_rho_squared"]')
        value = self.figures["epic_rho_squared"]
        return None if value is None else Fraction(value)


@about(_mdp_label)
@renamed(3, ("mdp", "r1", "r2"), {"r1": "specified", "r2": "intended"})
def epic(
    mdp: MDP,
    specified: RewardLike,
    intended: RewardLike,
    *,
    coverage: object = None,
    actions: object = None,
    exact: bool | None = None,
) -> Epic:
    """The EPIC pseudometric (Gleave et al. 2021): sqrt((1 - rho) / 2) for the Pearson
    correlation rho of the canonicalised rewards under ``coverage`` (a distribution over
    states: {state: p}; default uniform) and ``actions`` (default uniform), with S, S'
    independent.  Figures ``epic_distance``, ``epic_rho`` and (exact) ``epic_rho_squared``.

    Exact (Fractions) for models with up to 60 states unless ``exact`` says otherwise.
    PROVED: the distance is exactly 0 (equal up to positive scale and potential shaping).
    VIOLATED (exact): it is not; the witness is two transitions whose canonical rewards are
    not in one positive ratio, recomputed exactly.  In floating point (``exact=False``) the
    distance is reported and the verdict is UNKNOWN: floats decide nothing.
    """
    clock = Clock()
    n = mdp.n_states
    ds = _distribution(mdp.states, coverage, "coverage")
    da = _distribution(mdp.actions, actions, "actions")
    exact = n <= 60 if exact is None else exact
    f1 = reward_function(mdp, specified, "specified reward")
    f2 = reward_function(mdp, intended, "intended reward")
    if exact:
        return _exact(mdp, f1, f2, ds, da, clock)
    return _float(mdp, f1, f2, ds, da, clock)


def _exact(
    mdp: MDP, f1: Any, f2: Any, ds: list[Fraction], da: list[Fraction], clock: Clock
) -> Epic:
    """EPIC in rationals: rho^2 exactly, the distance zero exactly when rho = 1."""
    n, m = mdp.n_states, mdp.n_actions
    c1 = _canonical(f1, n, m, ds, da, mdp.gamma)
    c2 = _canonical(f2, n, m, ds, da, mdp.gamma)
    w = [ds[s] * da[a] * ds[t] for s in range(n) for a in range(m) for t in range(n)]
    mean1 = sum((wi * x for wi, x in zip(w, c1, strict=True)), Fraction(0))
    mean2 = sum((wi * x for wi, x in zip(w, c2, strict=True)), Fraction(0))
    cov = sum(
        (wi * (x - mean1) * (y - mean2) for wi, x, y in zip(w, c1, c2, strict=True)),
        Fraction(0),
    )
    v1 = sum((wi * (x - mean1) ** 2 for wi, x in zip(w, c1, strict=True)), Fraction(0))
    v2 = sum((wi * (y - mean2) ** 2 for wi, y in zip(w, c2, strict=True)), Fraction(0))
    if v1 == 0 or v2 == 0:
        raise SpecError("EPIC is undefined when a canonicalised reward is constant")
    rho_sq = cov * cov / (v1 * v2)
    rho = math.copysign(math.sqrt(float(rho_sq)), float(cov))
    zero = cov > 0 and rho_sq == 1
    distance = 0.0 if zero else math.sqrt(max(0.0, (1 - rho) / 2))
    figures: dict[str, Fraction | float | None] = {
        "epic_distance": distance,
        "epic_rho": 1.0 if zero else rho,
        "epic_rho_squared": rho_sq,
    }
    if zero:
        return Epic(
            "epic",
            Verdict.PROVED,
            "EPIC distance 0, exactly: the rewards are equal up to positive scale and "
            "potential shaping",
            figures=figures,
            method="exact",
            elapsed=clock.elapsed,
        )
    witness = _apart(mdp, c1, c2, m)
    return Epic(
        "epic",
        Verdict.VIOLATED,
        f"EPIC distance {distance:.4g} (rho^2 = {rho_sq}, exact): the canonical rewards are "
        f"not in one positive ratio at {witness['first']} and {witness['second']}",
        witness=witness,
        figures=figures,
        method="exact",
        elapsed=clock.elapsed,
    )


def _float(
    mdp: MDP, f1: Any, f2: Any, ds: list[Fraction], da: list[Fraction], clock: Clock
) -> Epic:
    """EPIC in float64 numpy: a figure, never a verdict."""
    import numpy as np

    n, m = mdp.n_states, mdp.n_actions
    R1, R2 = _dense(f1, n, m), _dense(f2, n, m)
    pS = np.array([float(x) for x in ds])
    pA = np.array([float(x) for x in da])
    g = float(mdp.gamma)

    def canon(R: Any) -> Any:
        mean_from = np.einsum("sat,a,t->s", R, pA, pS)
        return R + g * mean_from[None, None, :] - mean_from[:, None, None] - g * (pS @ mean_from)

    C1, C2 = canon(R1), canon(R2)
    W = np.einsum("s,a,t->sat", pS, pA, pS)
    m1, m2 = (W * C1).sum(), (W * C2).sum()
    cov = (W * (C1 - m1) * (C2 - m2)).sum()
    v1, v2 = (W * (C1 - m1) ** 2).sum(), (W * (C2 - m2) ** 2).sum()
    # constant up to rounding: the exact path would find a zero variance
    tiny = 1e-24
    if not v1 > tiny * max(1.0, float((W * C1**2).sum())) or not v2 > tiny * max(
        1.0, float((W * C2**2).sum())
    ):
        raise SpecError("EPIC is undefined when a canonicalised reward is constant")
    rho = float(np.clip(cov / np.sqrt(v1 * v2), -1.0, 1.0))
    distance = math.sqrt(max(0.0, (1 - rho) / 2))
    reason = "floating-point EPIC decides nothing (exact=True decides it)"
    return Epic(
        "epic",
        Verdict.UNKNOWN,
        f"EPIC distance {distance:.4g} in floating point; {reason}",
        figures={"epic_distance": distance, "epic_rho": rho, "epic_rho_squared": None},
        reason=reason,
        elapsed=clock.elapsed,
    )


def _dense(f: Any, n: int, m: int) -> Any:
    """R[s, a, t] in floats: n * m * n calls of the reward, so the clock is checked."""
    import numpy as np

    out = np.empty((n, m, n))
    for s in range(n):
        tick()
        out[s] = [[float(f(s, a, t)) for t in range(n)] for a in range(m)]
    return out


def _apart(mdp: MDP, c1: list[Fraction], c2: list[Fraction], m: int) -> dict[str, Any]:
    """Two transitions whose canonical rewards are not in one positive ratio (exactly): no
    c > 0 has c2 = c * c1 there, so the rewards differ beyond scale and shaping."""
    n = mdp.n_states

    def where(i: int) -> dict[str, Any]:
        s, rest = divmod(i, m * n)
        a, t = divmod(rest, n)
        return {
            "state": mdp.states[s],
            "action": mdp.actions[a],
            "next": mdp.states[t],
            "specified": c1[i],
            "intended": c2[i],
        }

    i = next(k for k, x in enumerate(c1) if x != 0)  # c1 is not constant: some value is not 0
    ratio = c2[i] / c1[i]
    if ratio <= 0:  # one transition already says no positive ratio fits
        return {"first": where(i), "second": where(i)}
    j = next(k for k in range(len(c1)) if c2[k] != ratio * c1[k])
    return {"first": where(i), "second": where(j)}


def _distribution(items: Sequence[Hashable], given: object, what: str) -> list[Fraction]:
    if given is None:
        return [Fraction(1, len(items))] * len(items)
    if not isinstance(given, dict):
        raise OptionError(f"{what} must be a mapping from items to probabilities")
    out = [to_fraction(given.get(x, 0), f"{what} of {x!r}") for x in items]
    if sum(out, Fraction(0)) != 1:
        raise OptionError(f"{what} probabilities do not sum to 1")
    return out


def _canonical(
    f: Any, n: int, m: int, ds: list[Fraction], da: list[Fraction], gamma: Fraction
) -> list[Fraction]:
    mean_from = [
        sum((da[a] * ds[t] * f(s, a, t) for a in range(m) for t in range(n)), Fraction(0))
        for s in range(n)
    ]
    overall = sum((ds[s] * mean_from[s] for s in range(n)), Fraction(0))
    return [
        f(s, a, t) + gamma * mean_from[t] - mean_from[s] - gamma * overall
        for s in range(n)
        for a in range(m)
        for t in range(n)
    ]

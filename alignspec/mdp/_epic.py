"""The EPIC pseudometric between two rewards (Gleave et al. 2021)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from fractions import Fraction
from typing import Any

import attrs

from alignspec.checking.convention import renamed
from alignspec.errors import OptionError, SpecError
from alignspec.mdp.model import MDP, RewardLike, reward_function
from alignspec.space import to_fraction


@attrs.frozen
class Epic:
    """The EPIC pseudometric (Gleave et al. 2021) between two rewards.

    ``distance`` = sqrt((1 - rho) / 2) of the canonicalised rewards under the coverage
    distribution.  ``exact``: computed in rationals; then ``zero`` is decided exactly
    (rho == 1) and ``rho_squared`` is the exact square of the correlation.
    """

    distance: float
    rho: float
    exact: bool
    zero: bool
    rho_squared: Fraction | None


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
    """EPIC distance under ``coverage`` (a distribution over states: {state: p}; default
    uniform) and ``actions`` (over actions; default uniform), with S, S' independent.

    Exact (Fractions) for models with up to 60 states unless ``exact`` says otherwise;
    zero for rewards equal up to positive scale and potential shaping.
    """
    n, m = mdp.n_states, mdp.n_actions
    ds = _distribution(mdp.states, coverage, "coverage")
    da = _distribution(mdp.actions, actions, "actions")
    exact = n <= 60 if exact is None else exact
    f1 = reward_function(mdp, specified, "specified reward")
    f2 = reward_function(mdp, intended, "intended reward")
    if exact:
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
        return Epic(distance, 1.0 if zero else rho, True, zero, rho_sq)
    import numpy as np

    R1 = np.array([[[float(f1(s, a, t)) for t in range(n)] for a in range(m)] for s in range(n)])
    R2 = np.array([[[float(f2(s, a, t)) for t in range(n)] for a in range(m)] for s in range(n)])
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
    return Epic(math.sqrt(max(0.0, (1 - rho) / 2)), rho, False, False, None)


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

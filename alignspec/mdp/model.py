"""Finite Markov decision processes with exact probabilities, and rewards on them."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from alignspec.errors import OptionError, SpecError
from alignspec.space import Space, to_fraction
from alignspec.symbolic.evaluate import value_of
from alignspec.symbolic.rename import canonical
from alignspec.symbolic.shape import number_degree

Transitions = list[list[list[tuple[int, Fraction]]]]  # [s][a] -> [(s2, p)]


def _prob(value: object, what: str) -> Fraction:
    p = to_fraction(value, what)
    if not 0 <= p <= 1:
        raise SpecError(f"{what} = {p} is not a probability")
    return p


class MDP:
    """States, actions, exact transition probabilities, an initial distribution, and either
    a discount ``gamma`` in [0, 1) or ``gamma = 1`` with absorbing ``terminal`` states
    (episodic: every policy must end with probability 1 for returns to exist).

    States and actions may be any hashable values.  With ``space`` (a Space whose variables
    are the state features) states are tuples in ``space.names`` order, and rewards may be
    sympy expressions over the features (and the action, as the Choice variable ``action``).
    """

    @property
    def label(self) -> str:
        """How findings name this MDP."""
        return self.name or f"MDP ({len(self.states)} states, {len(self.actions)} actions)"

    def __init__(
        self,
        states: Sequence[Hashable],
        actions: Sequence[Hashable],
        transitions: Mapping[tuple[Hashable, Hashable], Iterable[tuple[object, Hashable]]],
        init: Mapping[Hashable, object] | Hashable,
        *,
        gamma: object = Fraction(9, 10),
        terminal: Iterable[Hashable] = (),
        space: Space | None = None,
        name: str | None = None,
    ) -> None:
        self.name = name
        self.states = tuple(states)
        self.actions = tuple(actions)
        if not self.states or not self.actions:
            raise SpecError(
                f"an MDP needs at least one state and one action; got {len(self.states)} "
                f"state(s) and {len(self.actions)} action(s)"
            )
        if len(set(self.states)) != len(self.states) or len(set(self.actions)) != len(self.actions):
            raise SpecError("states and actions must be distinct")
        self.index = {s: i for i, s in enumerate(self.states)}
        self.gamma = to_fraction(gamma, "gamma")
        if not 0 <= self.gamma <= 1:
            raise OptionError(f"gamma={self.gamma} must lie in [0, 1]")
        self.terminal = frozenset(self._idx(s, "terminal state") for s in terminal)
        if self.gamma == 1 and not self.terminal:
            raise OptionError("gamma = 1 (episodic) needs absorbing terminal states")
        self.space = space
        self.P: Transitions = []
        for i, s in enumerate(self.states):
            row = []
            for a in self.actions:
                if i in self.terminal:
                    row.append([(i, Fraction(1))])
                    continue
                if (s, a) not in transitions:
                    raise SpecError(f"no transitions for state {s!r} and action {a!r}")
                outcomes: dict[int, Fraction] = {}
                for p, s2 in transitions[(s, a)]:
                    j = self._idx(s2, f"successor of ({s!r}, {a!r})")
                    outcomes[j] = outcomes.get(j, Fraction(0)) + _prob(p, f"P({s2!r}|{s!r},{a!r})")
                total = sum(outcomes.values(), Fraction(0))
                if total != 1:
                    raise SpecError(f"probabilities from ({s!r}, {a!r}) sum to {total}, not 1")
                row.append(sorted((j, p) for j, p in outcomes.items() if p))
            self.P.append(row)
        mu = init if isinstance(init, Mapping) else {init: 1}
        self.init = [
            (self._idx(s, "initial state"), _prob(p, f"initial P({s!r})")) for s, p in mu.items()
        ]
        if sum((p for _, p in self.init), Fraction(0)) != 1:
            raise SpecError("the initial distribution does not sum to 1")

    def sparse_transitions(self) -> Any:
        """P as a float64 CSR matrix of shape (n_states * n_actions, n_states), row
        ``s * n_actions + a``: built once and kept (floats only propose; verdicts are exact)."""
        cached = getattr(self, "_sparse", None)
        if cached is None:
            from scipy.sparse import csr_matrix

            rows, cols, vals = [], [], []
            m = len(self.actions)
            for s, row in enumerate(self.P):
                for a, successors in enumerate(row):
                    for s2, p in successors:
                        rows.append(s * m + a)
                        cols.append(s2)
                        vals.append(float(p))
            shape = (len(self.states) * m, len(self.states))
            cached = csr_matrix((vals, (rows, cols)), shape=shape)
            self._sparse = cached
        return cached

    def _idx(self, s: Hashable, what: str) -> int:
        try:
            return self.index[s]
        except (KeyError, TypeError):
            raise SpecError(f"{what} {s!r} is not a state of the MDP") from None

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_actions(self) -> int:
        return len(self.actions)

    def __repr__(self) -> str:
        kind = (
            f"gamma={self.gamma}" if self.gamma < 1 else f"episodic, {len(self.terminal)} terminal"
        )
        return f"MDP({self.n_states} states, {self.n_actions} actions, {kind})"

    @classmethod
    def from_arrays(
        cls,
        P: Any,
        init: Any,
        *,
        gamma: object = Fraction(9, 10),
        terminal: Iterable[int] = (),
        actions: Sequence[Hashable] | None = None,
    ) -> MDP:
        """From an array ``P[s, a, s2]`` (numpy or nested lists; Fractions allowed) and an
        initial distribution ``init[s]``; states and actions are their indices (or the
        given action labels).  Float probabilities are taken as the exact rationals they
        hold, which must then sum to 1 exactly; pass Fractions to be safe."""
        arr = np.asarray(P, dtype=object)
        if arr.ndim != 3 or arr.shape[0] != arr.shape[2]:
            raise SpecError(f"P must have shape (S, A, S), got {arr.shape}")
        n, m = arr.shape[0], arr.shape[1]
        labels = tuple(actions) if actions is not None else tuple(range(m))
        table = {
            (s, labels[a]): [(arr[s, a, t], t) for t in range(n) if arr[s, a, t] != 0]
            for s in range(n)
            for a in range(m)
        }
        mu: dict[Hashable, object] = {
            s: p for s, p in enumerate(np.asarray(init, dtype=object)) if p != 0
        }
        transitions: dict[tuple[Hashable, Hashable], list[tuple[object, Hashable]]] = dict(
            table  # type: ignore[arg-type]
        )
        return cls(range(n), labels, transitions, mu, gamma=gamma, terminal=terminal)

    @classmethod
    def from_step(
        cls,
        init: Mapping[Hashable, object] | Hashable,
        actions: Sequence[Hashable],
        step: Callable[[Any, Any], Iterable[tuple[object, Hashable]]],
        *,
        gamma: object = Fraction(9, 10),
        terminal: Callable[[Any], bool] | None = None,
        limit: int = 100_000,
        space: Space | None = None,
    ) -> MDP:
        """Enumerate the states reachable from ``init`` under ``step(s, a) -> [(p, s2)]``.

        Stops with a SpecError past ``limit`` states.  ``terminal(s)`` marks absorbing states
        (they are not expanded)."""
        starts = list(init) if isinstance(init, Mapping) else [init]
        seen = {s: None for s in starts}
        frontier = list(starts)
        table: dict[tuple[Hashable, Hashable], list[tuple[object, Hashable]]] = {}
        ends = []
        while frontier:
            s = frontier.pop()
            if terminal is not None and terminal(s):
                ends.append(s)
                continue
            for a in actions:
                try:
                    outcomes = list(step(s, a))
                except Exception as err:
                    raise SpecError(
                        f"step raised {type(err).__name__}: {err} at state {s!r}, action {a!r}"
                    ) from err
                table[(s, a)] = outcomes
                for _, s2 in outcomes:
                    if s2 not in seen:
                        seen[s2] = None
                        if len(seen) > limit:
                            raise SpecError(
                                f"more than {limit} reachable states; raise limit= "
                                "or make the state space smaller"
                            )
                        frontier.append(s2)
        return cls(list(seen), actions, table, init, gamma=gamma, terminal=ends, space=space)


RewardLike = Any


def reward_table(mdp: MDP, reward: RewardLike, what: str = "reward") -> list[list[list[Fraction]]]:
    """R[s][a][k] for the k-th possible successor of (s, a), exactly.

    ``reward`` may be an array of shape (S, A, S), (S, A) or (S,) (a state reward), a function
    ``f(s, a, s2)``, or a sympy expression over the MDP's state features and ``action``.
    Terminal states earn nothing.
    """
    f = reward_function(mdp, reward, what)
    out = []
    for i in range(mdp.n_states):
        row = []
        for a in range(mdp.n_actions):
            if i in mdp.terminal:
                row.append([Fraction(0)])
            else:
                row.append([f(i, a, j) for j, _ in mdp.P[i][a]])
        out.append(row)
    return out


def reward_function(mdp: MDP, reward: RewardLike, what: str) -> Callable[[int, int, int], Fraction]:
    """The reward as a function of state, action and successor indices (exact)."""
    if isinstance(reward, sympy.Basic):
        if mdp.space is None:
            raise SpecError(f"{what} is a sympy expression, but the MDP has no feature space")
        from alignspec.actions import Actions

        acts = Actions(*[str(a) for a in mdp.actions])
        domain = Space(**mdp.space.variables, **acts.space.variables)
        expr = canonical(reward, domain, "number")
        number_degree(expr, domain.variables)
        cache: dict[tuple[int, int], Fraction] = {}

        def sym(i: int, a: int, j: int) -> Fraction:
            if (i, a) not in cache:
                state = dict(zip(mdp.space.names, mdp.states[i], strict=True))  # type: ignore[union-attr, call-overload]
                cache[(i, a)] = value_of(
                    expr, domain.variables, {**state, "action": str(mdp.actions[a])}
                )
            return cache[(i, a)]

        return sym
    if callable(reward):

        def call(i: int, a: int, j: int) -> Fraction:
            s, act, s2 = mdp.states[i], mdp.actions[a], mdp.states[j]
            try:
                value = reward(s, act, s2)
            except Exception as err:  # the user's code: say where it failed, typed
                raise SpecError(
                    f"{what} raised {type(err).__name__}: {err} at ({s!r}, {act!r}, {s2!r})"
                ) from err
            return to_fraction(value, what)

        return call
    arr = np.asarray(reward, dtype=object)
    n, m = mdp.n_states, mdp.n_actions
    if arr.shape == (n, m, n):
        return lambda i, a, j: to_fraction(arr[i, a, j], what)
    if arr.shape == (n, m):
        return lambda i, a, j: to_fraction(arr[i, a], what)
    if arr.shape == (n,):
        return lambda i, a, j: to_fraction(arr[i], what)
    raise SpecError(
        f"{what}: an array of shape {arr.shape} fits none of (S, A, S), (S, A), (S,) "
        f"with S={n}, A={m}"
    )


def expected(mdp: MDP, table: list[list[list[Fraction]]]) -> list[list[Fraction]]:
    """r(s, a) = sum over successors of P(s2 | s, a) R(s, a, s2)."""
    return [
        [
            sum((p * table[i][a][k] for k, (_, p) in enumerate(mdp.P[i][a])), Fraction(0))
            for a in range(mdp.n_actions)
        ]
        for i in range(mdp.n_states)
    ]

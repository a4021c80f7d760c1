"""Finite Markov decision processes with exact probabilities, and rewards on them."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import sympy

from alignspec.checking.deadline import tick
from alignspec.errors import OptionError, SpecError
from alignspec.mdp.memory import EVERY, ensure_room
from alignspec.space import Space, to_fraction
from alignspec.symbolic.evaluate import value_of
from alignspec.symbolic.rename import canonical
from alignspec.symbolic.shape import number_degree

if TYPE_CHECKING:
    from alignspec.integrations.gym import GymMDP

Transitions = list[list[list[tuple[int, Fraction]]]]  # [s][a] -> [(s2, p)]


@attrs.frozen(eq=False)
class ExactRows:
    """Transition probabilities in compressed rows, exactly: row ``k = s * n_actions + a``
    has successors ``indices[indptr[k]:indptr[k + 1]]`` with probabilities
    ``weights[i] / denominators[k]`` (Python integers in object arrays; ``floats`` holds
    the probabilities rounded to float64, for proposals)."""

    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int64]
    weights: npt.NDArray[np.object_]
    denominators: npt.NDArray[np.object_]
    floats: npt.NDArray[np.float64]


def _objects(values: list[int]) -> npt.NDArray[np.object_]:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


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
            if i % EVERY == EVERY - 1:
                ensure_room(f"MDP {name or ''}".rstrip(), i + 1, "states stored")
            row = []
            for a in self.actions:
                if i in self.terminal:
                    row.append([(i, Fraction(1))])
                    continue
                if (s, a) not in transitions:
                    raise SpecError(f"no transitions for state {s!r} and action {a!r}")
                row.append(self._outcomes(s, a, transitions[(s, a)]))
            self.P.append(row)
        mu = init if isinstance(init, Mapping) else {init: 1}
        self.init = [
            (self._idx(s, "initial state"), _prob(p, f"initial P({s!r})")) for s, p in mu.items()
        ]
        if sum((p for _, p in self.init), Fraction(0)) != 1:
            raise SpecError("the initial distribution does not sum to 1")

    def _outcomes(
        self, s: Hashable, a: Hashable, given: Iterable[tuple[object, Hashable]]
    ) -> list[tuple[int, Fraction]]:
        """The successor distribution of (s, a): sorted (index, probability) pairs, exact,
        summing to 1 (duplicates merged, zeros dropped)."""
        outcomes: dict[int, Fraction] = {}
        for p, s2 in given:
            try:
                j = self.index[s2]
            except (KeyError, TypeError):
                j = self._idx(s2, f"successor of ({s!r}, {a!r})")
            # Fractions in [0, 1] pass as they are (the common case, and a hot loop)
            q = p if type(p) is Fraction and 0 <= p.numerator <= p.denominator else None
            if q is None:
                q = _prob(p, f"P({s2!r}|{s!r},{a!r})")
            outcomes[j] = outcomes[j] + q if j in outcomes else q
        # the sum is 1 exactly: integer arithmetic over the common denominator
        common = math.lcm(*(p.denominator for p in outcomes.values())) if outcomes else 1
        numerator = sum(p.numerator * (common // p.denominator) for p in outcomes.values())
        if numerator != common:
            total = Fraction(numerator, common)
            raise SpecError(
                f"probabilities from ({s!r}, {a!r}) sum to {total}, not 1. A float is the "
                "binary rational it holds, so 1/3 as a float does not add up: pass Fractions "
                "(Fraction(p).limit_denominator()), or read a gymnasium table with "
                "MDP.from_gym(env, tolerance=...), which rationalises and says so"
            )
        return sorted((j, p) for j, p in outcomes.items() if p)

    def derived(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()``, computed once per model and kept under ``key`` (for the checks'
        derived forms of the transitions: CSR arrays, orderings, FLINT rationals)."""
        cache: dict[str, Any] = self.__dict__.setdefault("_derived", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def sparse_transitions(self) -> Any:
        """P as a float64 CSR matrix of shape (n_states * n_actions, n_states), row
        ``s * n_actions + a``: built once and kept (floats only propose; verdicts are exact)."""
        cached = getattr(self, "_sparse", None)
        if cached is None:
            from scipy.sparse import csr_matrix

            rows = self.exact_rows()
            shape = (len(self.states) * len(self.actions), len(self.states))
            cached = csr_matrix((rows.floats, rows.indices, rows.indptr), shape=shape)
            self._sparse = cached
        return cached

    def exact_rows(self) -> ExactRows:
        """P in compressed rows with exact integer weights (built once and kept)."""
        cached: ExactRows | None = getattr(self, "_exact_rows", None)
        if cached is None:
            indptr, indices, weights, denominators, floats = [0], [], [], [], []
            for row in self.P:
                for successors in row:
                    common = math.lcm(*(p.denominator for _, p in successors))
                    denominators.append(common)
                    for s2, p in successors:
                        indices.append(s2)
                        weights.append(p.numerator * (common // p.denominator))
                        floats.append(p.numerator / p.denominator)  # = float(p), faster
                    indptr.append(len(indices))
            cached = ExactRows(
                np.array(indptr, dtype=np.int64),
                np.array(indices, dtype=np.int64),
                _objects(weights),
                _objects(denominators),
                np.array(floats, dtype=np.float64),
            )
            self._exact_rows = cached
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
    def from_gym(
        cls,
        env: Any,
        *,
        tolerance: object = Fraction(1, 10**9),
        gamma: object = Fraction(9, 10),
        actions: Sequence[Hashable] | None = None,
        init: Mapping[Hashable, object] | Hashable | None = None,
        name: str | None = None,
    ) -> GymMDP:
        """The MDP of a gymnasium environment with a transition table ``env.unwrapped.P``
        (FrozenLake, Taxi, CliffWalking): states and actions are the table's integers (or
        the ``actions`` labels, in order).  Each float probability becomes the simplest
        rational within ``tolerance`` (``Fraction.limit_denominator``); a row whose
        rationals do not sum to 1 is divided by its sum, exactly (further from 1 than
        ``tolerance``, or float rounding, per entry is an error).  What changed is in
        ``mdp.rationalisation`` and a :class:`~alignspec.RationalisedWarning`.  A state
        entered with ``done`` is terminal (absorbing); ``mdp.reward`` is the table's reward
        as an (S, A, S) array of Fractions.  The initial distribution is the environment's
        ``initial_state_distrib`` unless ``init`` is given.  Needs gymnasium."""
        from alignspec.integrations.gym import mdp_from_gym

        return mdp_from_gym(
            env, tolerance=tolerance, gamma=gamma, actions=actions, init=init, name=name
        )

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
                        if len(seen) % EVERY == 0:
                            ensure_room("MDP.from_step", len(seen))
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
        if i & 4095 == 0:
            tick()
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
        [_expectation(mdp.P[i][a], table[i][a]) for a in range(mdp.n_actions)]
        for i in range(mdp.n_states)
    ]


def _expectation(successors: list[tuple[int, Fraction]], rewards: list[Fraction]) -> Fraction:
    first = rewards[0]
    if all(x == first for x in rewards):  # the probabilities sum to 1
        return first
    return sum((p * x for (_, p), x in zip(successors, rewards, strict=True)), Fraction(0))


def expected_rewards(mdp: MDP, reward: RewardLike, what: str = "reward") -> list[list[Fraction]]:
    """r(s, a) = E[R(s, a, s2)] exactly, for any reward form :func:`reward_table` takes.
    Arrays of shape (S, A) or (S,) do not depend on the successor: their entries are the
    expectation (no per-successor table is built)."""
    if not callable(reward) and not isinstance(reward, sympy.Basic):
        arr = np.asarray(reward, dtype=object)
        n, m = mdp.n_states, mdp.n_actions
        if arr.shape in ((n, m), (n,)):
            zero = [Fraction(0)] * m
            out = []
            for i in range(n):
                if i in mdp.terminal:
                    out.append(list(zero))
                elif arr.ndim == 1:
                    out.append([_exact(arr[i], what)] * m)
                else:
                    out.append([_exact(x, what) for x in arr[i]])
            return out
    return expected(mdp, reward_table(mdp, reward, what))


def _exact(value: object, what: str) -> Fraction:
    return value if type(value) is Fraction else to_fraction(value, what)

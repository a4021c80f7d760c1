"""Policy extraction in the style of VIPER (Bastani et al., "Verifiable Reinforcement
Learning via Policy Extraction", 2018): imitate any policy with a decision tree that the
solver can check, DAgger-style, weighting states by how much the choice matters there.

The tree is a model of the policy, not the policy: checks on an ExtractedPolicy replay
every witness on the original and count only confirmed ones (method "extraction");
a proof about the tree is never reported as a proof about the original.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from alignspec.actions import Actions
from alignspec.errors import OptionError, SpecError
from alignspec.policy.base import Action, Policy
from alignspec.policy.tree import TreePolicy
from alignspec.space import Bool, Choice, Int, Space, State
from alignspec.symbolic.evaluate import holds, value_of
from alignspec.symbolic.rename import canonical
from alignspec.symbolic.shape import condition_degree, number_degree

Sampler = Callable[[random.Random], State]


class ExtractedPolicy(TreePolicy):
    """The original policy, carrying a decision tree that imitates it.

    It acts as the original does (so every witness is replayed on the original); the
    checks search the tree and keep only witnesses the original confirms.  ``tree`` is the
    tree as a policy of its own; ``fidelity`` its agreement with the original per region.
    """

    def __init__(
        self,
        tree: TreePolicy,
        original: Policy,
        fidelity: Mapping[str, Fraction],
        states: int,
        model: Any,
    ) -> None:
        super().__init__(tree.space, tree.actions, tree.root)
        self.original = original
        self.fidelity = dict(fidelity)
        self.states = states
        self.model = model
        self.cut_episodes = 0  # rollouts in an environment cut short at the Space's edge

    def act(self, state: Mapping[str, object]) -> Action:
        return self.original.act(state)

    def act_batch(self, states: np.ndarray) -> np.ndarray:
        return self.original.act_batch(states)

    @property
    def tree(self) -> TreePolicy:
        """The tree as a plain policy, to check claims about the tree itself."""
        return TreePolicy(self.space, self.actions, self.root)

    def describe(self) -> str:
        shown = ", ".join(f"{r} {float(f):.1%}" for r, f in self.fidelity.items())
        return f"tree of depth {self.depth} from {self.states} states; fidelity {shown}"


def region_sampler(space: Space, region: object = None) -> Sampler:
    """Uniform states of ``space`` (Reals uniform, Ints and labels equally likely) that
    satisfy ``region`` (rejection sampling)."""
    cond = None
    if region is not None and region is not True:
        cond = canonical(region, space, "condition")
        condition_degree(cond, space.variables)

    def draw(rng: random.Random) -> State:
        for _ in range(10_000):
            state: State = {}
            for name, var in space.variables.items():
                if isinstance(var, Bool):
                    state[name] = rng.random() < 0.5
                elif isinstance(var, Choice):
                    state[name] = rng.choice(var.labels)
                elif isinstance(var, Int):
                    state[name] = rng.randint(var.lo, var.hi)
                else:
                    state[name] = var.lo + (var.hi - var.lo) * Fraction(rng.random())
            if cond is None or holds(cond, space.variables, state):
                return state
        raise SpecError(f"region {region} is too small to sample: no state in 10000 draws")

    return draw


def extract(
    policy: Policy,
    space: Space | None = None,
    actions: Actions | None = None,
    *,
    sample: object = None,
    q: object = None,
    max_depth: int = 6,
    iterations: int = 5,
    per_iteration: int = 500,
    step: Callable[[State, str], State] | None = None,
    horizon: int = 20,
    regions: Mapping[str, object] | None = None,
    holdout: int = 500,
    seed: int = 0,
    env: Any = None,
) -> ExtractedPolicy:
    """Imitate ``policy`` (any policy, black boxes included) with a decision tree.

    ``sample`` gives the training states: None (the whole space), a region (condition),
    or a function ``rng -> state``.  With ``step(state, action) -> state`` each iteration
    rolls out from sampled start states for ``horizon`` steps: iteration 0 follows the
    original policy, later ones the current tree (DAgger), and every visited state is
    labelled by the original.  With ``q`` (a function ``(state, action) -> number`` or an
    objective over states and actions) each state is weighted by ``max_a q - min_a q``, as
    VIPER does.  With ``env`` (a gymnasium environment) the rollouts run in the real
    environment instead: each episode starts from ``env.reset(seed=...)`` (seeds drawn
    from ``seed``) and lasts at most ``horizon`` steps, the observations read as states
    in ``space.names`` order; an episode ends where an observation leaves the Space (the
    checks cover nothing beyond it; counted in ``cut_episodes``).  The tree with the best
    held-out fidelity is returned, with its agreement on ``holdout`` states of the
    training sampler (with ``env``: states of episodes driven by the original) and of
    each named region.
    """
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError:
        raise SpecError("extraction needs scikit-learn: pip install scikit-learn") from None
    space = space or policy.space
    actions = actions or policy.actions  # type: ignore[assignment]
    if not isinstance(actions, Actions):
        raise OptionError("extraction imitates finite actions; give an alignspec.Actions set")
    if iterations < 1 or per_iteration < 1 or max_depth < 1:
        raise OptionError("iterations, per_iteration and max_depth must be >= 1")
    rng = random.Random(seed)
    if env is not None and (step is not None or sample is not None):
        raise OptionError("env= replaces step= and sample=: give one source of states")
    draw: Sampler = sample if callable(sample) else region_sampler(space, sample)
    cut = 0

    def visit(count: int, driver: Policy) -> list[State]:
        nonlocal cut
        if env is None:
            return _states(draw, rng, count, step, horizon, driver)
        from alignspec.integrations.rollouts import rollout_states

        states, cut_now = rollout_states(env, space, actions, driver, count, rng, horizon)
        cut += cut_now
        return states

    weigh = _weights(policy, actions, q)
    rows: list[list[float]] = []
    labels: list[str] = []
    weights: list[float] = []
    held = [draw(rng) for _ in range(holdout)] if env is None else visit(holdout, policy)
    held_named = {
        name: [region_sampler(space, cond)(rng) for _ in range(holdout)]
        for name, cond in (regions or {}).items()
    }
    best: tuple[Fraction, Any, int] | None = None
    current: TreePolicy | None = None
    for _ in range(iterations):
        for state in visit(per_iteration, policy if current is None else current):
            action = str(policy.act(state))
            rows.append(policy.encode_row(state))
            labels.append(action)
            weights.append(weigh(state))
        model = DecisionTreeClassifier(max_depth=max_depth, random_state=seed)
        model.fit(np.array(rows), np.array(labels), sample_weight=np.array(weights))
        current = TreePolicy.from_sklearn(model, space, actions)
        score = _agreement(current, policy, held)
        if best is None or score > best[0]:
            best = (score, model, len(rows))

    assert best is not None
    tree = TreePolicy.from_sklearn(best[1], space, actions)
    fidelity = {"train": best[0]}
    for name, states in held_named.items():
        fidelity[name] = _agreement(tree, policy, states)
    out = ExtractedPolicy(tree, policy, fidelity, best[2], best[1])
    out.cut_episodes = cut
    return out


def _states(
    draw: Sampler,
    rng: random.Random,
    n: int,
    step: Callable[[State, str], State] | None,
    horizon: int,
    driver: Policy,
) -> list[State]:
    if step is None:
        return [draw(rng) for _ in range(n)]
    out: list[State] = []
    while len(out) < n:
        state = draw(rng)
        for _ in range(horizon):
            out.append(state)
            action = str(driver.act(state))
            try:
                following = step(state, action)
            except Exception as err:  # the user's dynamics: say where they failed, typed
                raise SpecError(
                    f"step raised {type(err).__name__}: {err} at state {state}, action {action!r}"
                ) from err
            state = driver.space.check_state(following)
    return out[:n]


def _agreement(tree: Policy, policy: Policy, states: Sequence[State]) -> Fraction:
    if not states:
        return Fraction(1)
    same = sum(1 for s in states if tree.act(s) == policy.act(s))
    return Fraction(same, len(states))


def _weights(policy: Policy, actions: Actions, q: object) -> Callable[[State], float]:
    if q is None:
        return lambda state: 1.0
    if callable(q):
        fn: Callable[[State, str], object] = q
    else:
        domain = policy.domain
        expr = canonical(q, domain, "number")
        number_degree(expr, domain.variables)

        def fn(state: State, action: str) -> object:
            return value_of(expr, domain.variables, {**state, actions.name: action})

    def weight(state: State) -> float:
        values = [float(fn(state, a)) for a in actions.labels]  # type: ignore[arg-type]
        return max(values) - min(values) + 1e-9  # never zero: sklearn drops zero weights

    return weight

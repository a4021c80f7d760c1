"""CartPole-v1 end to end: train a controller in the real environment (seeded, about a
second), check it, extract a decision tree from it and prove the tree's closed loop safe,
then deploy behind a shield that enforces the requirements at every step.

Run: python examples/cartpole.py   (needs pip install 'alignspec[gym,sklearn]'; no downloads;
about 10 s)
"""

import warnings
from fractions import Fraction

import gymnasium as gym
import numpy as np
import sympy as sp

import alignspec as al
from alignspec.integrations.gym import Shield

env = gym.make("CartPole-v1")


# 1. Train: the cross-entropy method over linear controllers "push right when w . obs > 0",
#    scored by the worst of three 500-step episodes.  Seeded; stops once 5 candidates
#    balance the pole for the whole episode.
def episode(w, seed, act=None):
    obs, _ = env.reset(seed=seed)
    for t in range(500):
        obs, _, terminated, truncated, _ = env.step(int(obs @ w > 0) if act is None else act(obs))
        if terminated or truncated:
            return t + 1
    return 500


rng = np.random.default_rng(0)
mean, std = np.zeros(4), np.ones(4)
for _ in range(30):
    candidates = mean + std * rng.standard_normal((24, 4))
    seeds = [int(s) for s in rng.integers(2**31, size=3)]
    scores = np.array([min(episode(w, s) for s in seeds) for w in candidates])
    elite = candidates[np.argsort(scores)[-5:]]
    mean, std = elite.mean(axis=0), elite.std(axis=0) + 0.01
    if np.sort(scores)[-5] == 500:
        break
weights = mean
print("trained: 500-step episodes", [episode(weights, s) for s in range(5)])

# 2. The spec.  Observations are (x, x_dot, theta, theta_dot); the observation space's own
#    velocity bounds are infinite, so the Space says which states the checks cover.
space = al.Space(
    x=al.Real(-2.4, 2.4),
    x_dot=al.Real(-3, 3),
    theta=al.Real(-0.2094, 0.2094),  # just inside 12 degrees, where the episode ends
    theta_dot=al.Real(-3, 3),
)
push = al.Actions.from_gym(env.action_space, ["left", "right"])  # 0 pushes left
v = space.vars
leaning_right = (v.theta > 0.1) & (v.theta_dot > 0)
leaning_left = (v.theta < -0.1) & (v.theta_dot < 0)
catch_the_pole = al.Spec(
    space=space,
    actions=push,
    intent=al.Intent(
        0,
        require=[
            sp.Implies(leaning_right, al.eq(push.symbol, "right")),
            sp.Implies(leaning_left, al.eq(push.symbol, "left")),
        ],
    ),
    reward=al.Reward(0),
    name="catch-the-falling-pole",
)

# 3. Check the learned controller as the black box a trained model is (stable-baselines3's
#    model.predict has this shape): sampling can refute, never prove.
learned = al.CallablePolicy(
    space, push, lambda obs: int(obs @ weights > 0), vector=True, labels=push.labels
)
finding = al.inner.verify(learned, catch_the_pole)
print("black box:", finding.verdict.name, "-", finding.message.splitlines()[-1].strip())

# 4. Extract a depth-4 tree from rollouts in the real environment (DAgger, as VIPER does)
#    and prove the tree's closed loop safe for 10 steps on CartPole-v1's dynamics
#    linearised at the upright pose (exact rational constants).
extracted = al.extract(
    learned, space, push, env=env, max_depth=4, horizon=500, iterations=4, per_iteration=2000
)
print("extracted:", extracted.describe())
G, POLE, HALF_LENGTH, FORCE, TAU = (
    Fraction(49, 5),
    Fraction(1, 10),
    Fraction(1, 2),
    10,
    1 / sp.Integer(50),
)
TOTAL = 1 + POLE
force = push.per_action({"left": -FORCE, "right": FORCE})
theta_acc = (G * v.theta - force / TOTAL) / (HALF_LENGTH * (Fraction(4, 3) - POLE / TOTAL))
x_acc = force / TOTAL - POLE * HALF_LENGTH * theta_acc / TOTAL
linearised = al.TransitionSystem.deterministic(
    space,
    push,
    sp.And(*[sp.And(s >= -Fraction(1, 20), s <= Fraction(1, 20)) for s in v]),
    {
        "x": v.x + TAU * v.x_dot,
        "x_dot": v.x_dot + TAU * x_acc,
        "theta": v.theta + TAU * v.theta_dot,
        "theta_dot": v.theta_dot + TAU * theta_acc,
    },
    name="cartpole-linearised",
)
ten_steps = al.Trajectories(linearised, horizon=10, policy=extracted.tree).check()
print("tree, 10 steps:", ten_steps.verdict.name, "-", ten_steps.findings[0].message)

# 5. Deploy behind a shield: each step, the action must meet the spec's requirements at
#    the observed state and keep the linearised model's next state in the safe set; an
#    action that does not is replaced by one that does (checked exactly) and logged.
safe = sp.And(sp.Abs(v.theta) <= Fraction(1, 5), sp.Abs(v.x) <= Fraction(23, 10))
noise = np.random.default_rng(1)
for name, choose in [
    ("learned", lambda obs: int(obs @ weights > 0)),
    ("random", lambda obs: int(noise.integers(2))),
]:
    plain = [episode(None, s, choose) for s in range(10)]
    shielded = Shield(gym.make("CartPole-v1"), catch_the_pole, push, system=linearised, safe=safe)
    lengths = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # steps where no action complies are logged anyway
        for seed in range(10):
            obs, _ = shielded.reset(seed=seed)
            while shielded.steps < 500:
                obs, _, terminated, truncated, _ = shielded.step(choose(obs))
                if terminated or truncated:
                    break
            lengths.append(shielded.steps)
    print(
        f"{name}: episode lengths {plain} unshielded, {lengths} shielded, "
        f"{len(shielded.interventions)} interventions"
    )
    if shielded.interventions:
        print("  first:", shielded.interventions[0])

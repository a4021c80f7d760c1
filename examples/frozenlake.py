"""FrozenLake, exactly: read gymnasium's transition table as an MDP, learn a tabular policy
with Q-learning (seeded), and check it and the reward with alignspec.mdp.

Run: python examples/frozenlake.py   (needs pip install 'alignspec[gym]'; no downloads)
"""

import warnings
from fractions import Fraction

import gymnasium as gym
import numpy as np

import alignspec as al
from alignspec import mdp

MOVES = ["left", "down", "right", "up"]  # FrozenLake's Discrete(4), in order
HOLES = (5, 7, 11, 12)

env = gym.make("FrozenLake-v1", is_slippery=True)  # 4x4, the slippery classic
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    lake = al.MDP.from_gym(env, actions=MOVES, gamma=Fraction(99, 100))
print(lake, "-", caught[0].message)  # the rationalisation, never silent
print("P(. | start, left) =", lake.P[0][0])
# [(0, 2/3), (4, 1/3)]: exact thirds

# A tabular policy, learned the usual way: Q-learning, seeded.
rng = np.random.default_rng(0)
q = np.zeros((16, 4))
for episode in range(3000):
    state, _ = env.reset(seed=int(rng.integers(2**31)))
    done = False
    while not done:
        explore = rng.random() < max(0.05, 1 - episode / 2000)
        action = int(rng.integers(4)) if explore else int(q[state].argmax())
        nxt, reward, terminated, truncated, _ = env.step(action)
        target = reward + (0 if terminated else 0.99 * q[nxt].max())
        q[state, action] += 0.1 * (target - q[state, action])
        state, done = nxt, terminated or truncated

actions = al.Actions.from_gym(env.action_space, MOVES)
cells = al.Space.from_gym(env.observation_space, names="cell")  # Int(0, 15)
table = al.TablePolicy(
    cells, actions, {(s,): q[s].argmax() for s in range(16)}, labels=actions.labels
)
learned = {s: table.act({"cell": s}) for s in range(16)}  # state -> action label

# Its exact return against the exact optimum of the table's own reward.
best, _ = mdp.optimal(lake, lake.reward)  # an action index per state
optimum = mdp.evaluate(lake, [lake.actions[a] for a in best], lake.reward)
achieved = mdp.evaluate(lake, learned, lake.reward)
print(f"learned policy: {float(achieved):.6f} of the optimal {float(optimum):.6f}")
print("exact shortfall:", optimum - achieved)  # a Fraction: 0 means optimal, exactly
assert achieved <= optimum

# The reward only pays for the goal; what we mean also counts falling through the ice.
intended = lake.reward.copy()
intended[:, :, list(HOLES)] = -1
gap = mdp.regret(lake, lake.reward, intended)
print("regret:", gap.verdict.name, gap.message)
danger = mdp.forbidden(lake, lake.reward, HOLES)
print("forbidden:", danger.verdict.name, danger.message)

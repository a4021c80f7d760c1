"""Boat race: reward for checkpoints, which back-and-forth games better than lapping.

A boat circles a track of 8 tiles.  The designers meant "make progress around the track"
(+1 per step forward, -1 per step back) but wrote "+1 for entering a checkpoint tile (2 or
5) in the right direction".  Lapping earns 2 checkpoints per 8 steps; driving forward into a
checkpoint, backing out and driving in again earns one every 2 steps.

What the checks find:
- as an MDP (MDPSpec, expect "misaligned"): hackable finds the pair (lapping vs a policy
  that oscillates at a checkpoint); regret shows the gamed policy's most likely path:
  0 -> 1 -> 2 -> 1 -> 2 -> ... and what it costs in progress;
- as a transition system (Trajectories, expect "misaligned"): bounded model checking finds
  an 8-step trajectory with 4 checkpoints and less than 3 tiles of progress: the
  back-and-forth.
"""

from fractions import Fraction

import sympy as sp

import alignspec as al

TILES, CHECKPOINTS = 8, (2, 5)


def drive(tile, action):
    return [(1, (tile + 1) % TILES if action == "forward" else (tile - 1) % TILES)]


def checkpoint_reward(tile, action, next_tile):
    return 1 if action == "forward" and next_tile in CHECKPOINTS else 0


def progress(tile, action, next_tile):
    return 1 if action == "forward" else -1


track = al.MDP.from_step(0, ["forward", "backward"], drive, gamma=Fraction(9, 10))

boat_race = al.MDPSpec(
    track, specified=checkpoint_reward, intended=progress, name="boat-race", expect="misaligned"
)

# The same race as a symbolic transition system, for bounded model checking.
space = al.Space(tile=al.Int(0, TILES - 1))
moves = al.Actions("forward", "backward")
v = space.vars
forward = al.eq(moves.symbol, "forward")
ahead = sp.Piecewise((0, sp.Eq(v.tile, TILES - 1)), (v.tile + 1, True))
behind = sp.Piecewise((TILES - 1, sp.Eq(v.tile, 0)), (v.tile - 1, True))
race = al.TransitionSystem.deterministic(
    space,
    moves,
    sp.Eq(v.tile, 0),
    {"tile": sp.Piecewise((ahead, forward), (behind, True))},
    name="boat-race-system",
)
enters_checkpoint = al.indicator(forward & sp.Or(*[sp.Eq(v.tile, c - 1) for c in CHECKPOINTS]))

back_and_forth = al.Trajectories(
    race,
    specified=enters_checkpoint,
    intended=moves.per_action({"forward": 1, "backward": -1}),
    horizon=8,
    reach=4,
    below=3,
    name="boat-race-bmc",
    expect="misaligned",
)

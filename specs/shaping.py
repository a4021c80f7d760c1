"""A potential-shaped reward: a denser signal that provably changes nothing that matters.

A robot walks a corridor of 6 cells to a goal at cell 5 (terminal).  The base reward pays
10 on reaching the goal.  The shaped reward adds gamma * Phi(next) - Phi(current) with the
potential Phi(cell) = cell - 5 (zero at the goal, as episodic shaping requires): a reward for
every step of progress, which speeds up learning.

What the checks find (MDPSpec, expect "aligned"): equivalent is PROVED and recovers the
scale 1 and the potential exactly; the EPIC distance is exactly 0; consequently regret is 0
and no pair of policies is ordered differently (hackable PROVED).
"""

from fractions import Fraction

import alignspec as al

GOAL = 5
GAMMA = Fraction(9, 10)


def walk(cell, action):
    return [(1, max(0, min(GOAL, cell + (1 if action == "right" else -1))))]


def base(cell, action, next_cell):
    return 10 if next_cell == GOAL else 0


def potential(cell):
    return cell - GOAL


def shaped(cell, action, next_cell):
    return base(cell, action, next_cell) + GAMMA * potential(next_cell) - potential(cell)


corridor = al.MDP.from_step(
    0, ["left", "right"], walk, gamma=GAMMA, terminal=lambda cell: cell == GOAL
)

shaped_corridor = al.MDPSpec(
    corridor,
    specified=shaped,
    intended=base,
    checks=("regret", "hackable", "equivalent"),
    name="potential-shaping",
    expect="aligned",
)

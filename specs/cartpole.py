"""Closed-loop safety of a cart-pole decision tree (the VIPER benchmark).

A depth-4 decision tree balances a pole on a cart (CartPole-v1: push left or right with
10 N every 0.02 s).  The tree was extracted, VIPER-style, from a black-box controller by
rolling out the true (nonlinear) CartPole dynamics.  The question: from every start state
in the box [-0.05, 0.05]^4, does the closed loop keep |x| <= 2.4 and |theta| <= 0.2094 rad
(just inside 12 degrees) for 10 steps?

The solver checks the tree against the CartPole dynamics linearised at the upright pose
(sin theta ~ theta, cos theta ~ 1, theta_dot^2 sin theta ~ 0), with the exact rational
constants of CartPole-v1.  Its one-step error against gymnasium on states this controller
visits is measured by bench/mdp.py: at most 4.4e-4 per step.
Leaving the declared bounds (the safe set, and velocities within +-3) counts as a violation.

What the checks find (Trajectories, expect "aligned"): PROVED for 10 steps (bounded).

The nonlinear gap: the true CartPole-v1 Euler step (sin, cos and the theta_dot^2 term
kept) differs from the linearised one by at most 2.58e-4 in x_dot and 1.94e-3 in
theta_dot per step while |theta| <= 0.1 and |theta_dot| <= 1 (enclosed soundly by
ModelError.between).  ``cartpole-tree-8-steps-true-dynamics`` (expect "aligned"): PROVED
for every dynamics within that error, the region checked, so for the true CartPole-v1
step in real arithmetic (gymnasium's float64 rounding is not modelled), for 8 steps (10
stay UNKNOWN: the error blurs the tree's chattering decisions).
Over a full 500-step episode the tree is not safe (bench/closed_loop.py: from the corner
(-0.05, -0.05, -0.05, -0.05) the cart leaves |x| <= 2.4 at step 500).
"""

import random
from fractions import Fraction

import sympy as sp

import alignspec as al

G, CART, POLE, HALF_LENGTH, FORCE, TAU = (
    Fraction(49, 5),
    Fraction(1),
    Fraction(1, 10),
    Fraction(1, 2),
    10,
    Fraction(1, 50),
)
TOTAL = CART + POLE
ANGLE = Fraction(2094, 10000)

space = al.Space(
    x=al.Real(-2.4, 2.4),
    x_dot=al.Real(-3, 3),
    theta=al.Real(-ANGLE, ANGLE),
    theta_dot=al.Real(-3, 3),
)
push = al.Actions("left", "right")
v = space.vars
force = push.per_action({"left": -FORCE, "right": FORCE})

# Linearised CartPole-v1 (Euler step): exact rational coefficients.
theta_acc = (G * v.theta - force / TOTAL) / (HALF_LENGTH * (Fraction(4, 3) - POLE / TOTAL))
x_acc = force / TOTAL - POLE * HALF_LENGTH * theta_acc / TOTAL
start = sp.And(*[sp.And(s >= -Fraction(1, 20), s <= Fraction(1, 20)) for s in space.vars])
linear_cartpole = al.TransitionSystem.deterministic(
    space,
    push,
    start,
    {
        "x": v.x + TAU * v.x_dot,
        "x_dot": v.x_dot + TAU * x_acc,
        "theta": v.theta + TAU * v.theta_dot,
        "theta_dot": v.theta_dot + TAU * theta_acc,
    },
    name="cartpole-linearised",
)


def true_step(state, action):
    """CartPole-v1's own (nonlinear) Euler step, in floats, as gymnasium computes it."""
    import math

    x, x_dot, theta, theta_dot = (float(state[k]) for k in ("x", "x_dot", "theta", "theta_dot"))
    f = 10.0 if action == "right" else -10.0
    cos, sin = math.cos(theta), math.sin(theta)
    temp = (f + 0.05 * theta_dot**2 * sin) / 1.1
    th_acc = (9.8 * sin - cos * temp) / (0.5 * (4.0 / 3.0 - 0.1 * cos**2 / 1.1))
    x_acc = temp - 0.05 * th_acc * cos / 1.1
    nxt = (
        x + 0.02 * x_dot,
        x_dot + 0.02 * x_acc,
        theta + 0.02 * theta_dot,
        theta_dot + 0.02 * th_acc,
    )
    lows, highs = (-2.4, -3, -float(ANGLE), -3), (2.4, 3, float(ANGLE), 3)
    return {
        k: Fraction(min(max(val, lo), hi))
        for k, val, lo, hi in zip(
            ("x", "x_dot", "theta", "theta_dot"), nxt, lows, highs, strict=True
        )
    }


def controller(state):
    """The black box VIPER imitates: push towards where the pole is falling."""
    return "right" if state["theta"] + Fraction(1, 4) * state["theta_dot"] > 0 else "left"


def start_box(rng: random.Random):
    return {k: Fraction(rng.uniform(-0.05, 0.05)) for k in ("x", "x_dot", "theta", "theta_dot")}


tree = al.extract(
    al.CallablePolicy(space, push, controller),
    sample=start_box,
    step=true_step,
    horizon=40,
    max_depth=4,
    iterations=3,
    per_iteration=400,
).tree

ten_step_safety = al.Trajectories(
    linear_cartpole, horizon=10, policy=tree, name="cartpole-tree-10-steps", expect="aligned"
)


def true_update(force):
    """CartPole-v1's Euler step (gymnasium's equations, in exact rationals) for a force."""
    temp = (force + POLE * HALF_LENGTH * v.theta_dot**2 * sp.sin(v.theta)) / TOTAL
    theta_acc = (G * sp.sin(v.theta) - sp.cos(v.theta) * temp) / (
        HALF_LENGTH * (Fraction(4, 3) - POLE * sp.cos(v.theta) ** 2 / TOTAL)
    )
    x_acc = temp - POLE * HALF_LENGTH * theta_acc * sp.cos(v.theta) / TOTAL
    return {
        "x": v.x + TAU * v.x_dot,
        "x_dot": v.x_dot + TAU * x_acc,
        "theta": v.theta + TAU * v.theta_dot,
        "theta_dot": v.theta_dot + TAU * theta_acc,
    }


true_dynamics = al.mdp.ModelError.between(
    linear_cartpole,
    {"left": true_update(-FORCE), "right": true_update(FORCE)},
    {"theta": (-Fraction(1, 10), Fraction(1, 10)), "theta_dot": (-1, 1)},
    about="the true CartPole-v1 Euler step",
)

true_eight_steps = al.Trajectories(
    linear_cartpole,
    horizon=8,
    policy=tree,
    error=true_dynamics,
    name="cartpole-tree-8-steps-true-dynamics",
    expect="aligned",
)

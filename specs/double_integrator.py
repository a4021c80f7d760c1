"""A learned controller on the double integrator, safe forever (a closed-loop benchmark).

The system is the discrete-time double integrator of the neural-feedback-loop verification
literature: position p and velocity v, acceleration u in [-1, 1], one step

    p' = p + v + u / 2,    v' = v + u

with the start set p in [2.5, 3], v in [-0.25, 0.25].  Source: H. Hu, M. Fazlyab,
M. Morari, G. J. Pappas, "Reach-SDP: Reachability Analysis of Closed-Loop Systems with
Neural Network Controllers via Semidefinite Programming", CDC 2020 (Section V-A); the
same system and start set in M. Everett, G. Habibi, J. P. How, "Efficient Reachability
Analysis of Closed-Loop Systems with Neural Network Controllers", ICRA 2021.

Their controllers are not bundled; this one is a 2-10-5-1 ReLU network trained by
behaviour cloning (scikit-learn MLPRegressor, seed 0, 4,000 states) on the saturated LQR
law u = clip(-K s, -1, 1) (Q = I, R = 1), weights rounded to 4 decimals, with the
saturation built into the network as two more ReLU units (so |u| <= 1 exactly).

The question: does the closed loop keep p in [-1, 4] and v in [-2, 2] for every horizon?

What the checks find:
- ``double-integrator-nn-forever`` (expect "aligned"): PROVED by an inductive invariant
  (an octagon), so safe for every horizon.
- ``double-integrator-weak-brakes`` (expect "misaligned"): the same network with its
  output scaled to [-1/4, 1/4] brakes too late; VIOLATED with the trajectory replayed
  exactly.
"""

from fractions import Fraction

import sympy as sp

import alignspec as al

space = al.Space(p=al.Real(-1, 4), v=al.Real(-2, 2))
accel = al.Space(u=al.Real(-1, 1))
s, u = space.vars, accel.vars.u
start = sp.And(s.p >= Fraction(5, 2), s.p <= 3, s.v >= -Fraction(1, 4), s.v <= Fraction(1, 4))
double_integrator = al.TransitionSystem.deterministic(
    space, accel, start, {"p": s.p + s.v + u / 2, "v": s.v + u}, name="double-integrator"
)

HIDDEN = [
    (
        [
            [0.0622, 0.2627],
            [0.0845, -0.2129],
            [-0.0335, -0.2272],
            [0.0706, 0.4394],
            [-0.2637, -0.6295],
            [-0.4008, -0.9512],
            [-0.1518, -0.6477],
            [0.5789, 0.4688],
            [0.607, 0.3548],
            [-0.1354, 0.3523],
        ],
        [0.5252, 0.9244, 0.5579, 0.8625, -0.6175, 0.9238, -0.6293, 0.4158, 0.488, -0.1479],
    ),
    (
        [
            [-0.0417, 0.4923, 0.1983, 0.4712, 1.6195, -0.657, -0.6558, -0.0672, 0.6309, -0.3143],
            [0.4692, 0.2264, -0.3384, -0.332, -0.5724, 1.0048, -0.7675, 0.4841, 0.133, -0.2589],
            [0.0] * 10,
            [0.0367, 0.6252, -0.7888, -0.3275, -0.5833, 0.4775, -0.446, 0.4106, 0.1714, -0.3672],
            [-0.0693, -0.0248, -0.0166, -0.0196, 0.0, -0.0443, 0.0, -0.0203, -0.019, 0.0],
        ],
        [0.2129, 0.077, -0.5513, 0.381, 0.04],
    ),
]
OUT_W, OUT_B = [-0.7397, 0.4339, 0.0, 0.3258, 0.0063], -0.238


def saturated(limit: Fraction) -> al.MLPPolicy:
    """The network with its output y clipped to [-limit, limit]:
    relu(y + 1) - relu(y - 1) - 1 is clip(y, -1, 1), then scaled by ``limit``."""

    def exact(x):  # the decimals as written (short rationals), not their binary floats
        return [exact(y) for y in x] if isinstance(x, list) else Fraction(str(x))

    hidden = [(exact(w), exact(b)) for w, b in HIDDEN]
    clip = ([exact(OUT_W)] * 2, [exact(OUT_B) + 1, exact(OUT_B) - 1])
    return al.MLPPolicy(space, accel, [*hidden, clip, ([[limit, -limit]], [-limit])], mode=None)


controller = saturated(Fraction(1))

forever = al.Trajectories(
    double_integrator,
    horizon=None,
    policy=controller,
    name="double-integrator-nn-forever",
    expect="aligned",
)

weak_brakes = al.Trajectories(
    double_integrator,
    horizon=None,
    policy=saturated(Fraction(1, 4)),
    name="double-integrator-weak-brakes",
    expect="misaligned",
)

"""An oversimplified cost function: a delivery robot billed for time only.

The robot picks a speed (1-10 m/s), a route (road or the pedestrian sidewalk) and whether
to handle parcels carefully.  Its cost counts minutes only.  What the operator wants also
prices broken parcels (40 per unit of breakage) and, above all, harm to pedestrians
(500 per unit), with the hard requirement that the robot harms nobody.

World model: going faster than 6 m/s breaks parcels unless handled carefully (which costs
5 minutes); the sidewalk saves 10 minutes but puts pedestrians at risk in proportion to
speed.

What the checks find: the time-only optimum is full speed on the sidewalk, careless, which
breaks the no-harm requirement (hacking, requirements VIOLATED), and the cost ranks that
state above the gentle road trip the operator prefers (inversion, goodhart VIOLATED).
"""

from sympy import Eq, Max, Piecewise

import alignspec as al

space = al.Space(
    speed=al.Real(1, 10),
    route=al.Choice("road", "sidewalk"),
    careful=al.Bool(),
    breakage=al.Real(0, 1),
    harm=al.Real(0, 1),
)
v = space.vars
sidewalk = al.eq(v.route, "sidewalk")
minutes = 60 - 4 * v.speed - 10 * al.indicator(sidewalk) + 5 * v.careful

delivery_time_only = al.Spec(
    space=space,
    intent=al.Intent(-(minutes + 40 * v.breakage + 500 * v.harm), require=[v.harm <= 0]),
    reward=al.Reward(-minutes),
    assume=[
        Eq(v.breakage, Piecewise((0, v.careful), (Max(0, (v.speed - 6) / 8), True))),
        Eq(v.harm, Piecewise((v.speed / 20, sidewalk), (0, True))),
    ],
    name="delivery-time-only",
    expect="misaligned",
)

"""Aligned rewards: transforms of the intended utility that preserve its order.

1. thermostat: comfort is -|temperature - 21|; the reward is 10 - 2|temperature - 21|, a
   positive affine transform.  The requirement (stay within 18..24 degrees) contains the
   optimum.  Every check is PROVED: no inverted pair, every reward-optimal state is
   comfort-optimal and compliant, and the Goodhart curve never forces a loss.
2. ranking: a recommender's intended utility is the relevance (0..10) of the item shown;
   the reward caps relevance at 8 and adds relevance again, Min(relevance, 8) + relevance:
   a strictly increasing, non-affine transform, so it too orders states exactly as intended.
3. cubic: the reward is the cube of the intended utility: nonlinear, yet strictly
   monotone, which z3's nonlinear real arithmetic (nlsat) proves.
"""

from sympy import Abs, Min

import alignspec as al

climate = al.Space(temperature=al.Real(10, 30), heater_on=al.Bool())
t = climate.vars

thermostat = al.Spec(
    space=climate,
    intent=al.Intent(-Abs(t.temperature - 21), require=[t.temperature >= 18, t.temperature <= 24]),
    reward=al.Reward(10 - 2 * Abs(t.temperature - 21)),
    assume=[t.heater_on >> (t.temperature >= 15)],
    name="thermostat-affine",
    expect="aligned",
)

items = al.Space(relevance=al.Int(0, 10), slot=al.Choice("top", "side"))
r = items.vars

ranking = al.Spec(
    space=items,
    intent=al.Intent(r.relevance),
    reward=al.Reward(Min(r.relevance, 8) + r.relevance),
    name="ranking-monotone",
    expect="aligned",
)

dial = al.Space(x=al.Real(0, 10))
d = dial.vars

cubic = al.Spec(
    space=dial,
    intent=al.Intent(d.x - 5),
    reward=al.Reward((d.x - 5) ** 3),
    name="cubic-monotone",
    expect="aligned",
)

"""Engagement vs long-term well-being: the seed's outer-misalignment case.

A feed ranker is rewarded for engagement (hours on the platform, plus a bonus for clickbait
that gets clicked).  What we want is the user's long-term well-being, and no more than eight
hours a day.  The world model says well-being falls as engagement rises (heavy use crowds
out sleep and company) and clickbait costs a little more.

What the checks find:
- inversion: two users where more engagement goes with less well-being (VIOLATED);
- hacking: the reward optimum (20 hours, clickbait on) breaks the 8-hour requirement and
  costs 20 points of well-being against the best allowed state (VIOLATED, regret 20);
- requirements: out-earning every compliant state takes more than 8 hours (VIOLATED);
- goodhart_curve: past a reward of 0, no state is well-being optimal (VIOLATED).
"""

import alignspec as al

space = al.Space(
    engagement=al.Real(0, 24),
    wellbeing=al.Real(-10, 10),
    clickbait=al.Bool(),
    age=al.Int(13, 99),
    mode=al.Choice("feed", "search"),
)
v = space.vars

engagement_vs_wellbeing = al.Spec(
    space=space,
    intent=al.Intent(v.wellbeing, require=[v.engagement <= 8]),
    reward=al.Reward(v.engagement + 3 * v.clickbait),
    assume=[
        v.wellbeing <= 10 - v.engagement,
        v.clickbait >> (v.wellbeing <= 9 - v.engagement),
    ],
    name="engagement-vs-wellbeing",
    expect="misaligned",
)

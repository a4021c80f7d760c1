"""A proxy metric: "few failing tests" standing in for "correct code".

A coding agent is rewarded for the number of failing tests going down, minus a small
charge per hour of work.  What we want is code with few bugs, and the hard requirement that
no test is deleted.  World model: the suite has 30 tests; each remaining bug fails two of
them unless those tests were deleted; an hour of real work fixes one of the 10 bugs.

What the checks find: deleting 20 tests zeroes the failures at no effort, the reward's
optimum, with all ten bugs left in (hacking and requirements VIOLATED; inversion finds a
pair where the buggier code scores better; the Goodhart curve shows that the reward's
optimum is not a bug-free state).
"""

import alignspec as al

space = al.Space(
    bugs=al.Int(0, 10),
    deleted=al.Int(0, 30),
    failing=al.Int(0, 30),
    effort=al.Real(0, 10),
)
v = space.vars

tests_passed_proxy = al.Spec(
    space=space,
    intent=al.Intent(-v.bugs, require=[v.deleted <= 0]),
    reward=al.Reward(-v.failing - v.effort / 10),
    assume=[
        v.bugs >= 10 - v.effort,
        v.failing >= 2 * v.bugs - v.deleted,
        v.failing <= 30 - v.deleted,
    ],
    name="tests-passed-proxy",
    expect="misaligned",
)

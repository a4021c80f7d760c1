"""Safety for every horizon: search an inductive invariant of a closed loop.

The system must be piecewise affine: affine in the state for each finite action, or affine
in state and action jointly for action variables.  Floats only *propose*: simulated
trajectories from the start box give a template polytope (axis and octagon rows, plus any
given), grown outward; one exact solver query then decides whether the candidate

1. contains every start state (``init``),
2. lies inside the safe set (declared state bounds and ``require``), and
3. is closed under one closed-loop step (the policy's exact encoding acting),

and UNSAT of that query is the proof (the query is the certificate).  A satisfying
assignment is a counterexample to closure: the template grows to take in its successor,
and the query is asked again.  A simulated start state whose float trajectory leaves the
safe set is replayed exactly; only an exact replay reports a violation.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import sympy

from alignspec.actions import Actions, merge
from alignspec.engine import search
from alignspec.mdp.invariant import Interval, Invariant
from alignspec.mdp.system import TransitionSystem
from alignspec.policy.base import Policy
from alignspec.policy.mlp import MLPPolicy
from alignspec.policy.regions import tree_act_batch
from alignspec.policy.tree import TreePolicy
from alignspec.solver import Budget, Problem
from alignspec.space import Real, Space, State, to_fraction
from alignspec.symbolic.rename import at

F64 = npt.NDArray[np.float64]


@attrs.frozen
class Outcome:
    """What the invariant search concluded."""

    status: str  # "proved", "violated", "unknown"
    invariant: Invariant | None = None
    query: Problem | None = None
    trajectory: tuple[State, ...] = ()
    reason: str | None = None
    rounds: int = 0
    stats: dict[str, float] = attrs.field(factory=dict)


class NotPiecewiseAffine(Exception):
    """The system or policy is of a kind the invariant search does not handle."""


@attrs.frozen
class _Loop:
    """The closed loop's exact affine pieces: per finite action label ``(A, c)`` over the
    state, or one ``(A, c)`` over state then action variables."""

    names: tuple[str, ...]
    action_names: tuple[str, ...]
    pieces: dict[str, tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]]
    start: tuple[Interval, ...]
    safe_box: tuple[Interval, ...]
    action_box: tuple[Interval, ...]

    def floats(self) -> dict[str, tuple[F64, F64]]:
        return {
            k: (np.array([[float(a) for a in r] for r in m]), np.array([float(x) for x in c]))
            for k, (m, c) in self.pieces.items()
        }


def loop_of(system: TransitionSystem, policy: Policy) -> _Loop:
    """The exact affine pieces, the start box and the declared boxes (or
    :class:`NotPiecewiseAffine` saying why not)."""
    from alignspec.neural.reach import _AffineAlgebra, _NotAffine, _start, _updates
    from alignspec.symbolic.fold import fold_num

    if system.update is None:
        raise NotPiecewiseAffine("the system is a relation, not a deterministic update")
    space = system.space
    names = tuple(space.names)
    if not all(isinstance(v, Real) for v in space.variables.values()):
        raise NotPiecewiseAffine("every state variable must be Real")
    safe_box = tuple((Fraction(v.lo), Fraction(v.hi)) for v in space.variables.values())  # type: ignore[union-attr]
    try:
        start = tuple(_start(system, list(names)))
        if isinstance(system.actions, Actions):
            updates = _updates(system, list(names), system.actions)
            pieces = {k: (u.A, u.c) for k, u in updates.items()}
            return _Loop(names, (), pieces, start, safe_box, ())
        acts = system.actions
        if not all(isinstance(v, Real) for v in acts.variables.values()):
            raise NotPiecewiseAffine("every action variable must be Real")
        both = list(names) + list(acts.names)
        alg = _AffineAlgebra(both, None, None)
        rows, consts = [], []
        for n in names:
            coef, const = alg._lin(fold_num(system.update[n], system.domain.variables, alg))
            rows.append(tuple(coef))
            consts.append(const)
    except _NotAffine:
        raise NotPiecewiseAffine(
            "init must be a box and each update affine in the state (per action)"
        ) from None
    action_box = tuple((Fraction(v.lo), Fraction(v.hi)) for v in acts.variables.values())  # type: ignore[union-attr]
    return _Loop(
        names, tuple(acts.names), {"": (tuple(rows), tuple(consts))}, start, safe_box, action_box
    )


def _stepper(loop: _Loop, policy: Policy) -> Callable[[F64], F64]:
    """The closed loop's float step on a batch of states (a proposal only)."""
    pieces = loop.floats()
    finite = isinstance(policy.actions, Actions)

    def actions_of(x: F64) -> Any:
        if isinstance(policy, MLPPolicy):
            return policy.act_batch(x)
        if isinstance(policy, TreePolicy) and finite:
            return tree_act_batch(policy, x)
        acts = [
            policy.act({n: Fraction(float(v)) for n, v in zip(loop.names, r, strict=True)})
            for r in x
        ]
        if finite:
            assert isinstance(policy.actions, Actions)
            return np.array([policy.actions.labels.index(str(a)) for a in acts])
        return np.array([[float(a[n]) for n in loop.action_names] for a in acts])  # type: ignore[index]

    def step(x: F64) -> F64:
        chosen = actions_of(x)
        if finite:
            assert isinstance(policy.actions, Actions)
            out = np.empty_like(x)
            for k, label in enumerate(policy.actions.labels):
                m, c = pieces[label]
                rows = chosen == k
                out[rows] = x[rows] @ m.T + c
            return out
        m, c = pieces[""]
        return np.asarray(np.hstack([x, np.asarray(chosen, dtype=float)]) @ m.T + c)

    return step


def template(n: int, extra: Sequence[Sequence[object]] = ()) -> list[tuple[Fraction, ...]]:
    """Axis rows, octagon rows (+-x_i +- x_j), and ``extra`` rows with their negations."""
    rows: list[tuple[Fraction, ...]] = []
    for i in range(n):
        for s in (1, -1):
            rows.append(tuple(Fraction(s if k == i else 0) for k in range(n)))
    for i, j in itertools.combinations(range(n), 2):
        for si, sj in itertools.product((1, -1), repeat=2):
            rows.append(tuple(Fraction(si if k == i else sj if k == j else 0) for k in range(n)))
    for row in extra:
        r = tuple(to_fraction(x, "template row coefficient") for x in row)
        rows += [r, tuple(-a for a in r)]
    return rows


def _support(row: Sequence[Fraction], box: Sequence[Interval]) -> Fraction:
    return sum(
        (a * (hi if a > 0 else lo) for a, (lo, hi) in zip(row, box, strict=True)), Fraction(0)
    )


def _up(x: float, grid: Fraction) -> Fraction:
    """``x`` rounded up to the grid (short rationals keep the solver's numbers small)."""
    return Fraction(math.ceil(Fraction(x) / grid)) * grid


def search_invariant(
    system: TransitionSystem,
    policy: Policy,
    require: Sequence[sympy.Basic],
    budget: Budget,
    *,
    rounds: int = 60,
    samples: int = 64,
    steps: int = 300,
    margin: float = 0.05,
    extra_rows: Sequence[Sequence[object]] = (),
    seed: int = 0,
) -> Outcome:
    """Search an inductive invariant of ``system`` under ``policy`` inside the safe set
    (declared state bounds and ``require``); see the module docstring.  Raises
    :class:`NotPiecewiseAffine` for systems outside its scope."""
    from alignspec.neural.reach import simulate

    loop = loop_of(system, policy)
    n = len(loop.names)
    step = _stepper(loop, policy)
    rng = random.Random(seed)
    corners = (
        [[loop.start[d][(k >> d) & 1] for d in range(n)] for k in range(2**n)] if n <= 8 else []
    )
    starts = [[(a + b) / 2 for a, b in loop.start], *corners] + [
        [Fraction(rng.uniform(float(a), float(b))) for a, b in loop.start] for _ in range(samples)
    ]
    x = np.array([[float(v) for v in s] for s in starts])
    origin = np.arange(len(starts))  # which start state each simulated row came from
    safe_lo = np.array([float(a) for a, _ in loop.safe_box])
    safe_hi = np.array([float(b) for _, b in loop.safe_box])
    seen = [x]
    for t in range(steps):
        x = step(x)
        bad = np.flatnonzero(((x < safe_lo) | (x > safe_hi)).any(axis=1))
        for row in bad[:3].tolist():  # a few exact replays; floats only point at them
            state = dict(zip(loop.names, starts[int(origin[row])], strict=True))
            found = simulate(system, policy, state, t + 1, require)  # type: ignore[arg-type]
            if found is not None:
                return Outcome("violated", trajectory=found)
        if len(bad):
            x, origin = np.delete(x, bad, axis=0), np.delete(origin, bad)
        seen.append(x)
        if budget.expired:
            return Outcome("unknown", reason=budget.timeout_reason)
    data = np.vstack(seen)
    rows = template(n, extra_rows)
    dirs = np.array([[float(a) for a in r] for r in rows])
    proj = data @ dirs.T
    # a row's span over the data: margins and the rounding grid scale with it
    span = proj.max(axis=0) - proj.min(axis=0) + 1e-9
    grid = Fraction(2) ** (math.floor(math.log2(float(span.min()))) - 12)
    bounds = [
        max(_up(float(v + margin * w), grid), _support(r, loop.start))
        for v, w, r in zip(proj.max(axis=0), span, rows, strict=True)
    ]
    stats: dict[str, float] = {"rounds": 0, "simulated_states": float(len(data))}
    for round_ in range(1, rounds + 1):
        stats["rounds"] = round_
        if budget.expired:
            return Outcome("unknown", reason=budget.timeout_reason, rounds=round_, stats=stats)
        inv = Invariant(loop.names, rows, bounds)
        box = inv.box()
        assert box is not None  # the axis rows are in every template
        outside = [
            n_
            for n_, (a, b), (sa, sb) in zip(loop.names, box, loop.safe_box, strict=True)
            if a < sa or b > sb
        ]
        if outside:
            return Outcome(
                "unknown",
                reason="no inductive invariant inside the safe set was found: the template "
                f"grew past the declared bounds of {outside} after {round_} round(s) (the "
                "closed loop may not be bounded, or needs a richer template than axis and "
                "octagon rows)",
                rounds=round_,
                stats=stats,
            )
        problem = closure_query(system, policy, loop, inv, require)
        result = search(problem, budget, 0)
        if result.status == "none":
            stats.update({k: float(v) for k, v in result.stats.items()})
            return Outcome("proved", inv, problem, rounds=round_, stats=stats)
        if result.status != "found" or result.states is None:
            return Outcome("unknown", reason=result.reason, rounds=round_, stats=stats)
        s = result.states["s"]
        t_state = result.states["t"]
        if not inv.contains(s):  # only init can put s outside: the start box is inside
            return Outcome(
                "unknown", reason="a start state outside the candidate (internal)", stats=stats
            )
        succ = [to_fraction(t_state[k], k) for k in loop.names]
        if inv.contains(dict(zip(loop.names, succ, strict=True))):
            return Outcome(
                "unknown",
                reason="no inductive invariant inside the safe set was found: a state of the "
                f"candidate breaks a requirement ({', '.join(f'{k}={v}' for k, v in s.items())})",
                rounds=round_,
                stats=stats,
            )
        # grow every violated row past the successor, with the margin
        grown = False
        for i, r in enumerate(rows):
            v = sum((a * b for a, b in zip(r, succ, strict=True)), Fraction(0))
            if v > bounds[i]:
                bounds[i] = _up(float(v) + margin * float(span[i]), grid)
                if bounds[i] < v:
                    bounds[i] = v
                grown = True
        assert grown
    return Outcome(
        "unknown",
        reason=f"no inductive invariant found in {rounds} rounds of counterexample growth",
        rounds=rounds,
        stats=stats,
    )


def closure_query(
    system: TransitionSystem,
    policy: Policy,
    loop: _Loop,
    inv: Invariant,
    require: Sequence[sympy.Basic],
) -> Problem:
    """The exact query whose UNSAT proves ``inv`` an inductive invariant inside the safe
    set containing the start states: a state ``s`` (policy acting) and its successor
    ``t`` with init(s) and not inv(s), or inv(s) and s unsafe, or inv(s) and not inv(t).

    The roles' boxes hold every state that matters (so no declared bound cuts a case
    off): ``s`` ranges over the hull of the invariant's box and the start box, ``t`` over
    the exact image of that box under every action."""
    from alignspec.checking.links import link
    from alignspec.mdp._trajectory import _outside

    box_inv = inv.box()
    assert box_inv is not None
    box_s = [(min(a, c), max(b, d)) for (a, b), (c, d) in zip(box_inv, loop.start, strict=True)]
    action_box = list(loop.action_box)
    if isinstance(policy, MLPPolicy) and action_box:
        out = policy.network.bounds(box_s)[-1]
        action_box = [
            (min(a, c), max(b, d)) for (a, b), (c, d) in zip(action_box, out, strict=True)
        ]
    full = box_s + action_box
    box_t: list[Interval] = []
    for i in range(len(loop.names)):
        lows, highs = [], []
        for m, c in loop.pieces.values():
            lows.append(-_support([-a for a in m[i]], full) + c[i])
            highs.append(_support(m[i], full) + c[i])
        box_t.append((min(lows), max(highs)))
    space_s = Space(**{n: Real(a, b) for n, (a, b) in zip(loop.names, box_s, strict=True)})
    space_t = Space(**{n: Real(a, b) for n, (a, b) in zip(loop.names, box_t, strict=True)})
    acts: Any = system.actions
    if loop.action_names:
        acts = Space(
            **{k: Real(a, b) for k, (a, b) in zip(loop.action_names, action_box, strict=True)}
        )
    dom = system.domain
    cond = inv.condition(system.space)
    with sympy.core.parameters.evaluate(False):
        in_s = at(cond, dom, "s")
        in_t = at(cond, dom, "t")
        unsafe = [_outside(system, "s")] + [sympy.Not(at(r, dom, "s")) for r in require]
        if loop.action_names:  # a network may propose actions beyond the declared bounds
            for k, (a, b) in zip(loop.action_names, loop.action_box, strict=True):
                u = at(system.domain.symbols[k], dom, "s")
                unsafe += [
                    u < sympy.Rational(a.numerator, a.denominator),
                    u > sympy.Rational(b.numerator, b.denominator),
                ]
        bad = sympy.Or(
            sympy.And(at(system.init, dom, "s"), sympy.Not(in_s)),
            sympy.And(in_s, sympy.Or(*unsafe)),
            sympy.And(in_s, sympy.Not(in_t)),
        )
    problem = Problem(
        {"s": merge(space_s, acts), "t": merge(space_t, acts)},
        (
            ("step", system.step_condition("s", "t")),
            ("init outside, unsafe inside, or a step out of the invariant", bad),
        ),
    )
    budget = Budget(rlimit=None)
    linked = link(policy, problem, ["s"], budget, boxes={"s": box_s})
    return linked if linked is not None else problem

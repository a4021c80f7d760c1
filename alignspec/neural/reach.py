"""Closed-loop reachability of a deterministic system under a ReLU network policy.

For a system whose update is affine in the state once the action is fixed (the bundled
cart-pole, linearised), the states reachable after t steps from a start box B under one
action sequence are exactly ``{M s0 + m : s0 in B}`` for the composed affine map
``(M, m)``: no wrapping, no growth beyond the truth.  What is not exact is which action the
network picks: over the box hull of those states, sound network bounds
(:mod:`alignspec.neural.boxes`) say which actions are possible.  When more than one is,
the start box is split (the maps stay valid for the halves) or, once it is small, every
possible action is followed (a superset of the true trajectories, so still sound).

Safety at each step (the declared state bounds and the requirements, as conditions over
the state) is decided exactly over ``{M s0 + m}`` in rationals.  PROVED when every start
box reaches the horizon safely; a violation is only ever reported from an exact
simulation of the original system and policy from a concrete start state.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import sympy

from alignspec.actions import Actions
from alignspec.errors import SpecError
from alignspec.neural import bounds as nb
from alignspec.neural.query import (
    Atom,
    Compare,
    Cond,
    Junction,
    Lin,
    Negation,
    Truth,
    disj,
)
from alignspec.neural.refine import refined
from alignspec.policy.mlp import MLPPolicy
from alignspec.policy.regions import form_range, tree_act_batch, tree_actions
from alignspec.policy.tree import TreePolicy
from alignspec.solver import Budget
from alignspec.space import Real, State
from alignspec.symbolic.evaluate import holds, value_of
from alignspec.symbolic.fold import Algebra, fold_cond, fold_num

Interval = tuple[Fraction, Fraction]
Vec = tuple[Fraction, ...]
Mat = tuple[Vec, ...]


@attrs.frozen
class Affine:
    """``s -> A s + c`` with exact rational coefficients."""

    A: Mat
    c: Vec

    @staticmethod
    def identity(n: int) -> Affine:
        return Affine(
            tuple(tuple(Fraction(int(i == j)) for j in range(n)) for i in range(n)),
            (Fraction(0),) * n,
        )

    def then(self, step: Affine) -> Affine:
        """``step`` after ``self``."""
        n = len(self.c)
        a = tuple(
            tuple(
                sum((step.A[i][k] * self.A[k][j] for k in range(n)), Fraction(0)) for j in range(n)
            )
            for i in range(n)
        )
        c = tuple(sum((step.A[i][k] * self.c[k] for k in range(n)), step.c[i]) for i in range(n))
        return Affine(a, c)

    def form(self, coef: Sequence[Fraction], const: Fraction) -> tuple[list[Fraction], Fraction]:
        """``coef . s + const`` at ``s = A s0 + c``, as a form in ``s0``."""
        n = len(self.c)
        return (
            [sum((coef[i] * self.A[i][j] for i in range(n)), Fraction(0)) for j in range(n)],
            const + sum((coef[i] * self.c[i] for i in range(n)), Fraction(0)),
        )

    def image(self, box: Sequence[Interval]) -> list[Interval]:
        """The exact interval hull of the image of ``box``."""
        out = []
        for row, ci in zip(self.A, self.c, strict=True):
            out.append(form_range(row, ci, box))
        return out


def _widen(span: Interval, coef: Sequence[Fraction], radius: Sequence[Fraction]) -> Interval:
    """``span`` widened by what a radius around the state can add to ``coef . s``."""
    if not radius:
        return span
    extra = sum((abs(a) * r for a, r in zip(coef, radius, strict=True)), Fraction(0))
    return span[0] - extra, span[1] + extra


class _AffineAlgebra(Algebra[Any, Any]):
    """Numbers as (coefficients over the state, constant), conditions as query Conds over
    the state dims; the action is fixed to ``label`` (Choice comparisons fold to truth)."""

    def __init__(self, names: Sequence[str], action: str | None, label: str | None) -> None:
        self.index = {n: i for i, n in enumerate(names)}
        self.action, self.label = action, label
        self.n = len(names)

    def _lin(self, x: Any) -> tuple[list[Fraction], Fraction]:
        if not isinstance(x, tuple):
            raise _NotAffine
        return x

    def const(self, value: Fraction) -> Any:
        return ([Fraction(0)] * self.n, value)

    def truth(self, value: bool) -> Any:
        return Truth(value)

    def num_var(self, name: str, var: Any) -> Any:
        if name not in self.index:
            raise _NotAffine
        coef = [Fraction(0)] * self.n
        coef[self.index[name]] = Fraction(1)
        return (coef, Fraction(0))

    def bool_var(self, name: str) -> Any:
        raise _NotAffine

    def choice_is(self, name: str, var: Any, index: int) -> Any:
        if name != self.action or self.label is None:
            raise _NotAffine
        return Truth(var.labels[index] == self.label)

    def choice_same(self, a: str, b: str) -> Any:
        raise _NotAffine

    def bool_to_num(self, cond: Any) -> Any:
        if isinstance(cond, Truth):
            return self.const(Fraction(int(cond.value)))
        raise _NotAffine

    def add(self, terms: Sequence[Any]) -> Any:
        coef = [Fraction(0)] * self.n
        const = Fraction(0)
        for t in terms:
            c, k = self._lin(t)
            coef = [a + b for a, b in zip(coef, c, strict=True)]
            const += k
        return (coef, const)

    def mul(self, factors: Sequence[Any]) -> Any:
        k = Fraction(1)
        rest = []
        for f in factors:
            c, v = self._lin(f)
            if any(c):
                rest.append(f)
            else:
                k *= v
        if len(rest) > 1:
            raise _NotAffine
        if not rest:
            return self.const(k)
        c, v = rest[0]
        return ([a * k for a in c], v * k)

    def power(self, base: Any, exponent: int) -> Any:
        c, v = self._lin(base)
        if exponent == 1:
            return base
        if any(c):
            raise _NotAffine
        return self.const(v**exponent)

    def abs(self, x: Any) -> Any:
        raise _NotAffine

    def min(self, xs: Sequence[Any]) -> Any:
        raise _NotAffine

    def max(self, xs: Sequence[Any]) -> Any:
        raise _NotAffine

    def ite_num(self, cond: Any, then: Any, other: Any) -> Any:
        if isinstance(cond, Truth):
            return then if cond.value else other
        raise _NotAffine

    def ite_bool(self, cond: Any, then: Any, other: Any) -> Any:
        if isinstance(cond, Truth):
            return then if cond.value else other
        raise _NotAffine

    def compare(self, op: str, a: Any, b: Any) -> Any:
        flip = {">": "<", ">=": "<="}
        if op in flip:
            a, b, op = b, a, flip[op]
        (ca, ka), (cb, kb) = self._lin(a), self._lin(b)
        coef = [x - y for x, y in zip(ca, cb, strict=True)]
        lin = Lin.of(ka - kb, dict(enumerate(coef)), {})
        if lin.constant:
            v = lin.const
            return Truth(v < 0 if op == "<" else v <= 0 if op == "<=" else v == 0)
        return Atom(lin, op)  # type: ignore[arg-type]

    def and_(self, xs: Sequence[Any]) -> Any:
        from alignspec.neural.query import conj

        return conj(xs)

    def or_(self, xs: Sequence[Any]) -> Any:
        return disj(xs)

    def not_(self, x: Any) -> Any:
        from alignspec.neural.query import neg

        return neg(x)

    def iff(self, a: Any, b: Any) -> Any:
        raise _NotAffine


class _NotAffine(Exception):
    """The system falls outside what this method handles (the caller falls back)."""


def _updates(system: Any, names: Sequence[str], actions: Actions) -> dict[str, Affine]:
    scope = system.domain.variables
    out = {}
    for label in actions.labels:
        alg = _AffineAlgebra([f"{n}" for n in names], actions.name, label)
        rows, consts = [], []
        for n in names:
            coef, const = alg._lin(fold_num(system.update[n], scope, alg))
            rows.append(tuple(coef))
            consts.append(const)
        out[label] = Affine(tuple(rows), tuple(consts))
    return out


def _start(system: Any, names: Sequence[str]) -> list[Interval]:
    """The start box: ``init`` must be a conjunction of bounds on the state variables."""
    alg = _AffineAlgebra(names, None, None)
    cond = fold_cond(system.init, system.space.variables, alg)
    parts = list(cond.args) if isinstance(cond, Junction) and cond.kind == "and" else [cond]
    box = [(Fraction(v.lo), Fraction(v.hi)) for v in system.space.variables.values()]
    for p in parts:
        if not (isinstance(p, Atom) and len(p.lin.dims) == 1 and p.op == "<="):
            raise _NotAffine
        ((d, a),) = p.lin.dims
        limit = -p.lin.const / a
        lo, hi = box[d]
        box[d] = (lo, min(hi, limit)) if a > 0 else (max(lo, limit), hi)
    return box


def _three(cond: Cond, forms: Mapping[Lin, Interval]) -> tuple[bool, bool]:
    """(must, may) of a condition whose atoms are linear forms with known exact ranges."""
    if isinstance(cond, Truth):
        return cond.value, cond.value
    if isinstance(cond, Atom):
        lo, hi = forms[cond.lin]
        if cond.op == "<=":
            return hi <= 0, lo <= 0
        if cond.op == "<":
            return hi < 0, lo < 0
        return lo == hi == 0, lo <= 0 <= hi
    if isinstance(cond, Negation):
        must, may = _three(cond.arg, forms)
        return not may, not must
    if isinstance(cond, Compare):
        raise _NotAffine
    assert isinstance(cond, Junction)
    parts = [_three(a, forms) for a in cond.args]
    if cond.kind == "and":
        return all(p[0] for p in parts), all(p[1] for p in parts)
    return any(p[0] for p in parts), any(p[1] for p in parts)


def _atoms(cond: Cond, out: set[Lin]) -> None:
    if isinstance(cond, Atom):
        out.add(cond.lin)
    elif isinstance(cond, Junction):
        for a in cond.args:
            _atoms(a, out)
    elif isinstance(cond, Negation):
        _atoms(cond.arg, out)


@attrs.frozen
class _Item:
    box: tuple[Interval, ...]
    t: int
    map: Affine
    actions: tuple[str, ...]
    # per state variable, how far a trajectory of the uncertain model may be from the
    # map's exact image (model error accumulated along the action sequence)
    radius: tuple[Fraction, ...] = ()


@attrs.frozen
class Reach:
    """What the closed-loop analysis concluded."""

    status: str  # "proved", "violated", "unknown"
    trajectory: tuple[State, ...] = ()  # for "violated": exact states with their actions
    reason: str | None = None
    boxes: int = 0
    seconds: float = 0.0


def closed_loop(
    system: Any,
    policy: MLPPolicy | TreePolicy,
    horizon: int,
    require: Sequence[sympy.Basic],
    budget: Budget,
    *,
    error: Sequence[Fraction] | None = None,
    region: Sequence[Interval] | None = None,
    start_box: Sequence[Interval] | None = None,
    samples: int = 200,
    max_items: int = 200_000,
    min_width: float = 1e-4,
    seed: int = 0,
) -> Reach | None:
    """Is every trajectory of ``horizon`` steps from ``init`` safe (inside the declared
    bounds, meeting ``require``) under the network (or decision tree) ``policy``?  None
    when the system is not of the kind handled here (the caller falls back).

    Start boxes are split down to ``min_width`` times the start box's widest side.  A
    controller that chatters on its switching surface (sliding mode) keeps some start box
    on the surface at every step; following both actions there admits action sequences no
    real trajectory takes, and the answer may stay UNKNOWN for long horizons.

    With ``error`` (per state variable, in the space's order) the question is about every
    dynamics whose step lands within ``error`` of the update while the states stay in
    ``region`` (checked as part of safety): each set carries a radius ``r' = |A| r + error``
    around its exact image.  Trees only (None for networks).  A violation is still an
    exact trajectory of the update itself (one member of that family).

    ``start_box`` (inside ``init``'s box) restricts the question to those start states:
    the pieces of :func:`split_start` are independent tasks over picklable data, so a
    caller may map this function over any ``concurrent.futures.Executor``; every piece
    PROVED is the whole PROVED."""
    started = time.perf_counter()
    if not isinstance(policy.actions, Actions) or system.update is None:
        return None
    space = system.space
    names = list(space.names)
    if not all(isinstance(v, Real) for v in space.variables.values()):
        return None
    try:
        updates = _updates(system, names, policy.actions)
        start = _start(system, names)
        if start_box is not None:
            inside = all(a <= c <= d <= b for (a, b), (c, d) in zip(start, start_box, strict=True))
            if len(start_box) != len(start) or not inside:
                raise SpecError(f"start_box {list(start_box)} is not inside init's box {start}")
            start = [tuple(b) for b in start_box]  # type: ignore[misc]
        alg = _AffineAlgebra(names, None, None)
        safe_parts = [fold_cond(r, space.variables, alg) for r in require]
    except _NotAffine:
        return None
    if error is not None and not isinstance(policy, TreePolicy):
        return None
    bounds_ok = []
    for i, n in enumerate(names):
        var = space.variables[n]
        assert isinstance(var, Real)
        lo_i, hi_i = Fraction(var.lo), Fraction(var.hi)
        if region is not None:  # the model error is bounded only inside the region
            lo_i, hi_i = max(lo_i, region[i][0]), min(hi_i, region[i][1])
        bounds_ok.append(Atom(Lin.of(-hi_i, {i: Fraction(1)}, {}), "<="))
        bounds_ok.append(Atom(Lin.of(lo_i, {i: Fraction(-1)}, {}), "<="))
    zero = (Fraction(0),) * len(names)
    eps = tuple(error) if error is not None else zero
    from alignspec.neural.query import conj

    # with a model error, the start states must lie in its region too
    safe_now = conj(safe_parts) if region is None else conj([*safe_parts, *bounds_ok])
    safe_after = conj([*safe_parts, *bounds_ok])
    atoms: set[Lin] = set()
    _atoms(safe_after, atoms)
    # counterexamples first: exact simulations from sampled start states
    rng = random.Random(seed)
    # the centre, the corners (where the worst case often lies; up to 6 dims) and samples
    corners = (
        [[box[(k >> d) & 1] for d, box in enumerate(start)] for k in range(2 ** len(start))]
        if len(start) <= 6
        else []
    )
    points = [[(lo + hi) / 2 for lo, hi in start], *corners] + [
        [Fraction(rng.uniform(float(lo), float(hi))) for lo, hi in start] for _ in range(samples)
    ]
    if horizon > 20 and not require:
        # long horizons: exact rationals grow with every step, so floats screen the samples
        # and only those leaving the bounds are replayed exactly (sampling only finds)
        points = [points[k] for k in _float_screen(policy, updates, names, points, space, horizon)]
    for p in points:
        bad = simulate(system, policy, dict(zip(names, p, strict=True)), horizon, require)
        if bad is not None:
            return Reach("violated", bad, seconds=time.perf_counter() - started)
    composed: dict[Affine, nb.FloatNet] = {}
    scale = float(max(hi - lo for lo, hi in start)) or 1.0  # min_width is relative to it
    stack = [_Item(tuple(start), 0, Affine.identity(len(names)), (), zero)]
    processed = 0
    while stack:
        if budget.expired:
            return Reach(
                "unknown",
                reason=budget.timeout_reason,
                boxes=processed,
                seconds=time.perf_counter() - started,
            )
        if processed > max_items:
            return Reach(
                "unknown",
                reason=f"more than {max_items} start boxes were needed",
                boxes=processed,
                seconds=time.perf_counter() - started,
            )
        # advance items in batches: safety now, then the network's choice over the hull
        batch = [stack.pop() for _ in range(min(len(stack), 256))]
        processed += len(batch)
        live: list[_Item] = []
        for item in batch:
            cond = safe_now if item.t == 0 else safe_after
            forms = {
                lin: _widen(
                    form_range(*item.map.form(_dense(lin, len(names)), lin.const), item.box),
                    _dense(lin, len(names)),
                    item.radius,
                )
                for lin in atoms
            }
            must, may = _three(cond, forms)
            if must:
                if item.t == horizon:
                    continue
                live.append(item)
                continue
            # possibly unsafe somewhere in the box: look closer
            if not may:
                centre = [(lo + hi) / 2 for lo, hi in item.box]
                bad = simulate(
                    system, policy, dict(zip(names, centre, strict=True)), horizon, require
                )
                if bad is not None:
                    return Reach(
                        "violated", bad, boxes=processed, seconds=time.perf_counter() - started
                    )
            halves = _halve(item, min_width * scale)
            if halves is None:
                return Reach(
                    "unknown",
                    reason="a start box too small to split still reaches "
                    f"states that may be unsafe at step {item.t}",
                    boxes=processed,
                    seconds=time.perf_counter() - started,
                )
            stack.extend(halves)
        if not live:
            continue
        possible = _possible_actions(policy, live, composed)
        for k, item in enumerate(live):
            # every action the network may take here is followed: each branch's states stay
            # an exact affine image (a superset of the start states that really take it);
            # a branch that may turn unsafe is refined by splitting its start box instead
            for choice in np.flatnonzero(possible[k]).tolist():
                label = policy.actions.labels[choice]
                step = updates[label]
                radius = item.radius
                if error is not None:
                    radius = tuple(
                        sum((abs(a) * r for a, r in zip(row, radius, strict=True)), e)
                        for row, e in zip(step.A, eps, strict=True)
                    )
                stack.append(
                    _Item(
                        item.box,
                        item.t + 1,
                        _then(item.map, step),
                        (*item.actions, label),
                        radius,
                    )
                )
    return Reach("proved", boxes=processed, seconds=time.perf_counter() - started)


def _float_screen(
    policy: MLPPolicy | TreePolicy,
    updates: Mapping[str, Affine],
    names: Sequence[str],
    points: Sequence[Sequence[Fraction]],
    space: Any,
    horizon: int,
) -> list[int]:
    """Indices of the points whose float trajectory leaves the declared bounds."""
    assert isinstance(policy.actions, Actions)
    labels = policy.actions.labels
    maps = {
        k: (np.array([[float(a) for a in r] for r in u.A]), np.array([float(c) for c in u.c]))
        for k, u in updates.items()
    }
    lo = np.array([float(space.variables[n].lo) for n in names])
    hi = np.array([float(space.variables[n].hi) for n in names])
    x = np.array([[float(v) for v in p] for p in points])
    flagged = np.zeros(len(points), dtype=bool)
    for _ in range(horizon):
        chosen = policy.act_batch(x) if isinstance(policy, MLPPolicy) else tree_act_batch(policy, x)
        nxt = np.empty_like(x)
        for k, label in enumerate(labels):
            m, c = maps[label]
            rows = chosen == k
            nxt[rows] = x[rows] @ m.T + c
        x = nxt
        flagged |= ((x < lo) | (x > hi)).any(axis=1)
    return np.flatnonzero(flagged).tolist()


_COMPOSED: dict[tuple[Affine, Affine], Affine] = {}


def _then(first: Affine, step: Affine) -> Affine:
    """Composition, remembered: many boxes share an action sequence, hence its map."""
    key = (first, step)
    out = _COMPOSED.get(key)
    if out is None:
        if len(_COMPOSED) > 100_000:
            _COMPOSED.clear()
        out = _COMPOSED[key] = first.then(step)
    return out


def _composed_net(policy: MLPPolicy, m: Affine) -> nb.FloatNet:
    """The network applied to ``M s0 + m``: its first layer times the map, exactly, then
    rounded to the nearest floats with the rounding gaps as weight errors."""
    first = policy.network.layers[0]
    n = len(m.c)
    w = [
        [sum((row[k] * m.A[k][j] for k in range(n)), Fraction(0)) for j in range(n)]
        for row in first.weights
    ]
    b = [
        sum((row[k] * m.c[k] for k in range(n)), bias)
        for row, bias in zip(first.weights, first.bias, strict=True)
    ]
    layers = [(np.array([[float(x) for x in r] for r in w]), np.array([float(x) for x in b]))]
    errors = [(np.array([[_gap(x) for x in r] for r in w]), np.array([_gap(x) for x in b]))]
    for (wf, bf), err in zip(policy.arrays[1:], policy.errors[1:], strict=True):
        layers.append((wf, bf))
        errors.append(err)
    return nb.FloatNet(layers, errors)


def _gap(x: Fraction) -> float:
    """An upper bound on ``|x - float(x)|``."""
    gap = abs(x - Fraction(float(x)))
    return 0.0 if not gap else _up(gap)


def _possible_actions(
    policy: MLPPolicy | TreePolicy, items: Sequence[_Item], composed: dict[Affine, nb.FloatNet]
) -> npt.NDArray[np.bool_]:
    """(B, n_actions): which actions the network may pick somewhere on each item's exact
    set ``{M s0 + m : s0 in box}``, from sound CROWN bounds of the output differences of
    the network composed with the map (so the set's shape is kept, not its hull)."""
    assert isinstance(policy.actions, Actions)
    k = len(policy.actions.labels)
    if isinstance(policy, TreePolicy):  # exact: leaf tests are linear in the start state
        labels = policy.actions.labels
        chosen = np.zeros((len(items), k), dtype=bool)
        for index, item in enumerate(items):
            for label in tree_actions(policy, item.map.A, item.map.c, item.box, item.radius):
                chosen[index, labels.index(label)] = True
        return chosen
    sign = 1.0 if policy.mode == "argmax" else -1.0
    pairs = [(i, j) for i in range(k) for j in range(k) if i != j]
    c = np.zeros((len(pairs), k))
    for r, (i, j) in enumerate(pairs):  # sign * (y_j - y_i): i may win only if it can be < 0
        c[r, j], c[r, i] = sign, -sign
    out = np.zeros((len(items), k), dtype=bool)
    groups: dict[Affine, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(item.map, []).append(index)
    for m, members in groups.items():
        net = composed.get(m)
        if net is None:
            if len(composed) > 20_000:
                composed.clear()
            net = composed[m] = _composed_net(policy, m)
        lo = np.array([[_down(a) for a, _ in items[i].box] for i in members])
        hi = np.array([[_up(b) for _, b in items[i].box] for i in members])
        sym = refined(net, nb.symbolic_bounds(net, lo, hi))
        low = nb.crown_lower(net, sym, c).bound  # (B, pairs)
        for i in range(k):
            ok = np.ones(len(members), dtype=bool)
            for r, (a, j) in enumerate(pairs):
                if a == i:  # argmax ties go to the first: j < i must be strictly below
                    ok &= low[:, r] < 0 if j < i else low[:, r] <= 0
            out[members, i] = ok
    return out


def _dense(lin: Lin, n: int) -> list[Fraction]:
    coef = [Fraction(0)] * n
    for d, c in lin.dims:
        coef[d] = c
    return coef


def _halve(item: _Item, min_width: float) -> list[_Item] | None:
    widths = [hi - lo for lo, hi in item.box]
    # the widest side, weighted by how much it moves the current states
    scores = [w * sum(abs(row[j]) for row in item.map.A) for j, w in enumerate(widths)]
    d = max(range(len(widths)), key=lambda j: scores[j])
    if widths[d] <= min_width:
        return None
    lo, hi = item.box[d]
    mid = lo + (hi - lo) / 2
    mid = Fraction(float(mid))  # a short number: boxes stay cheap to compute with
    if not lo < mid < hi:
        mid = lo + (hi - lo) / 2
    left = list(item.box)
    right = list(item.box)
    left[d], right[d] = (lo, mid), (mid, hi)
    return [attrs.evolve(item, box=tuple(left)), attrs.evolve(item, box=tuple(right))]


def _down(x: Fraction) -> float:
    f = float(x)
    return f if Fraction(f) <= x else math.nextafter(f, -math.inf)


def _up(x: Fraction) -> float:
    f = float(x)
    return f if Fraction(f) >= x else math.nextafter(f, math.inf)


def simulate(
    system: Any,
    policy: MLPPolicy | TreePolicy,
    state: Mapping[str, Fraction],
    horizon: int,
    require: Sequence[sympy.Basic],
) -> tuple[State, ...] | None:
    """The exact trajectory from ``state`` up to the first unsafe state, if there is one."""
    space = system.space
    scope = system.domain.variables
    s: State = dict(state)
    trajectory: list[State] = []
    for t in range(horizon + 1):
        inside = all(v.lo <= s[n] <= v.hi for n, v in space.variables.items())
        ok = inside and all(holds(r, space.variables, s) for r in require)
        if not ok:
            trajectory.append(dict(s))
            return tuple(trajectory)
        if t == horizon:
            return None
        full = policy.with_action(s)
        trajectory.append(full)
        s = {n: value_of(system.update[n], scope, full) for n in space.names}
    return None


def split_start(box: Sequence[Interval], pieces: int) -> list[tuple[Interval, ...]]:
    """``box`` halved along its widest side until there are at least ``pieces`` boxes
    (their union is ``box``): independent ``start_box`` tasks for :func:`closed_loop`."""
    out: list[tuple[Interval, ...]] = [tuple(box)]
    while len(out) < pieces:
        widest = max(out, key=lambda b: max(hi - lo for lo, hi in b))
        d = max(range(len(widest)), key=lambda j: widest[j][1] - widest[j][0])
        lo, hi = widest[d]
        if hi == lo:
            break
        mid = (lo + hi) / 2
        out.remove(widest)
        out += [
            tuple((lo, mid) if j == d else b for j, b in enumerate(widest)),
            tuple((mid, hi) if j == d else b for j, b in enumerate(widest)),
        ]
    return out

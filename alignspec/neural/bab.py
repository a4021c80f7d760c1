"""Branch and bound over input boxes: the engine that decides queries with ReLU networks.

A query asks for a point (an assignment of every role's variables, the networks acting)
where a condition holds.  Boxes of the search space are processed in batches:

1. sound bounds of every linear form over each box (:mod:`alignspec.neural.boxes`) settle
   boxes where the condition cannot hold (closed: proved empty) or must hold everywhere;
2. a few points per open box (centre, random, then gradient steps on the condition's
   margin) are tried in floats; promising ones are replayed exactly, and only an exact
   replay on the original expressions and the network's own rational evaluation counts;
3. boxes with few unstable neurons (or small enough) go to z3 with the tightened neuron
   bounds (the exact leaf); the others are split along the dim that moves the bounds most.

PROVED only when every box was closed by bounds or an UNSAT leaf; UNKNOWN otherwise, with
the share of the region that was closed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from fractions import Fraction

import attrs
import numpy as np
import numpy.typing as npt
import sympy
from sympy.core.parameters import evaluate

from alignspec.engine import Search
from alignspec.neural.boxes import BoxBounds, Evaluator, ascend, point_truth, point_values
from alignspec.neural.query import Atom, Dim, Junction, NeuralQuery, translate
from alignspec.replay import replays
from alignspec.solver import Budget, Problem, solve
from alignspec.space import Bool, Choice, Int, State, Value, make_symbol
from alignspec.symbolic.labels import eq
from alignspec.symbolic.network import NetworkLink

F64 = npt.NDArray[np.float64]


@attrs.frozen
class Settings:
    """Tuning of the search (the defaults suit small and ACAS-sized networks)."""

    batch: int = 256
    samples: int = 4  # random points per open box and round
    leaf_unstable: int = 6  # boxes with at most this many unstable neurons go to z3
    max_depth: int = 60  # splits along one path before a box goes to z3 anyway
    max_replays: int = 8  # exact replays per round
    gradient_steps: int = 8  # projected gradient steps on sampled points (0: none)
    alpha_steps: int = 10  # alpha-CROWN steps on a leaf box before z3 (0: straight to z3)
    alpha_unstable: int = 30  # boxes with at most this many unstable neurons get alpha too
    seed: int = 0
    warmup: float = 1.0  # seconds alone before open boxes are shared with workers
    share: float = 1.5  # seconds a worker spends on its share before reporting back


#: The settings :func:`decide` uses when given none.
DEFAULT = Settings()


@attrs.frozen
class Outcome:
    """The engine's answer, with the figures a Finding reports."""

    search: Search
    closed: float  # share of the region's measure proved empty
    boxes: int
    leaves: int


def decide(
    problem: Problem, budget: Budget, settings: Settings | None = None, jobs: int | None = None
) -> Outcome:
    """Find a replayed assignment satisfying ``problem`` (with its network links), or prove
    by bounds and exact leaves that none exists.

    With ``jobs`` > 1 (None: the setting of :func:`alignspec.neural.parallel.workers`, by
    default 1), open boxes are shared with worker processes once the search has
    run alone for ``settings.warmup`` seconds; small queries never start a worker."""
    from alignspec.neural.parallel import current_jobs

    query = translate(problem)
    return _Run(query, budget, settings or DEFAULT).run(current_jobs(jobs))


def _payload(query: NeuralQuery) -> tuple[str, bytes]:
    """The query's problem, pickled once, with a key workers cache it under."""
    import hashlib
    import pickle

    cached = _PAYLOADS.get(id(query))
    if cached is not None and cached[0] is query:
        return cached[1]
    data = pickle.dumps(query.problem)
    out = (hashlib.sha256(data).hexdigest(), data)
    _PAYLOADS[id(query)] = (query, out)
    return out


_PAYLOADS: dict[int, tuple[NeuralQuery, tuple[str, bytes]]] = {}


def _float_box(dims: Sequence[Dim]) -> tuple[F64, F64]:
    lo = np.array([_down(d.lo, d.integral) for d in dims], dtype=np.float64)
    hi = np.array([_up(d.hi, d.integral) for d in dims], dtype=np.float64)
    return lo, hi


def _down(x: Fraction, integral: bool) -> float:
    if integral:
        return float(math.ceil(x))
    f = float(x)
    return f if Fraction(f) <= x else math.nextafter(f, -math.inf)


def _up(x: Fraction, integral: bool) -> float:
    if integral:
        return float(math.floor(x))
    f = float(x)
    return f if Fraction(f) >= x else math.nextafter(f, math.inf)


def _root_boxes(query: NeuralQuery) -> list[tuple[F64, F64]]:
    """The declared box, cut by top-level bound atoms, and split by a top-level disjunction
    of boxes (a region given as a union of boxes, e.g. VNN-LIB's ``or``)."""
    lo, hi = _float_box(query.dims)
    integral = [d.integral for d in query.dims]
    parts = (
        list(query.formula.args)
        if isinstance(query.formula, Junction) and (query.formula.kind == "and")
        else [query.formula]
    )
    for part in parts:
        _tighten(part, lo, hi, integral)
    boxes = [(lo, hi)]
    for part in parts:
        if isinstance(part, Junction) and part.kind == "or" and len(boxes) == 1:
            split: list[tuple[F64, F64]] = []
            for alt in part.args:
                blo, bhi = lo.copy(), hi.copy()
                conjuncts = alt.args if isinstance(alt, Junction) and alt.kind == "and" else [alt]
                if not all(_is_bound(c) for c in conjuncts):
                    split = []
                    break
                for c in conjuncts:
                    _tighten(c, blo, bhi, integral)
                split.append((blo, bhi))
            if split:
                boxes = split
    return [(blo, bhi) for blo, bhi in boxes if np.all(blo <= bhi)]


def _is_bound(c: object) -> bool:
    return isinstance(c, Atom) and len(c.lin.dims) == 1 and not c.lin.outs and c.op != "=="


def _tighten(c: object, lo: F64, hi: F64, integral: Sequence[bool]) -> None:
    """Intersect the box with a bound atom ``a x + k <= 0`` (or ``<``), soundly outward."""
    if not _is_bound(c):
        return
    assert isinstance(c, Atom)
    ((d, a),) = c.lin.dims
    limit = -c.lin.const / a  # a x <= -k
    if a > 0:  # x <= limit
        hi[d] = min(hi[d], _up(limit, False) if not integral[d] else float(math.floor(limit)))
    else:  # x >= limit
        lo[d] = max(lo[d], _down(limit, False) if not integral[d] else float(math.ceil(limit)))


Box = tuple[F64, F64, int]  # lo, hi, depth


@attrs.frozen
class Work:
    """What a stretch of branch and bound on some boxes produced."""

    found: dict[str, State] | None
    closed: float
    boxes: int
    leaves: int
    undecided: str | None  # why a box could be neither closed nor split further
    left: tuple[Box, ...]  # boxes still open


class _Run:
    def __init__(self, query: NeuralQuery, budget: Budget, settings: Settings) -> None:
        self.query = query
        self.budget = budget
        self.settings = settings
        self.ev = Evaluator(query)
        self.rng = np.random.default_rng(settings.seed)
        self.integral = np.array([d.integral for d in query.dims], dtype=bool)
        self.boxes = 0
        self.leaves = 0
        self.closed = 0.0
        self.stats: dict[str, float] = {}
        self.undecided: str | None = None
        self.rounds = 0
        self.alone = False  # worker processes failed once: no more rounds in them
        self.stack: list[Box] = []
        self.root_lo = np.array([_down(d.lo, d.integral) for d in query.dims])
        self.root_hi = np.array([_up(d.hi, d.integral) for d in query.dims])
        self.total = 1.0

    # --- the loop ---------------------------------------------------------------------------
    def run(self, jobs: int = 1) -> Outcome:
        started = time.perf_counter()
        roots = _root_boxes(self.query)
        if not roots:
            return self._done(Search("none", method="bounds"), started)
        self.root_lo = np.min([r[0] for r in roots], axis=0)
        self.root_hi = np.max([r[1] for r in roots], axis=0)
        self.stack = [(lo, hi, 0) for lo, hi in roots]
        total = sum(self._measure(lo, hi) for lo, hi in roots)
        self.total = total if total > 0 else 1.0
        while self.stack:
            if self.budget.expired:
                return self._unknown(self.budget.timeout_reason, started)
            if jobs > 1 and not self.alone and time.perf_counter() - started > self.settings.warmup:
                found = self._parallel(jobs)
            else:
                found = self.step()
            if found is not None:
                return self._done(Search("found", found, method="smt"), started)
        if self.undecided is not None:
            return self._unknown(self.undecided, started)
        return self._done(Search("none", method="bounds"), started)

    def work(self, limit: float) -> Work:
        """Process the stack for about ``limit`` seconds (a worker's share)."""
        started = time.perf_counter()
        before = (self.closed, self.boxes, self.leaves)
        found = None
        while self.stack and not self.budget.expired:
            found = self.step()
            if found is not None or time.perf_counter() - started > limit:
                break
        return Work(
            found,
            self.closed - before[0],
            self.boxes - before[1],
            self.leaves - before[2],
            self.undecided,
            tuple(self.stack),
        )

    def _parallel(self, jobs: int) -> dict[str, State] | None:
        """One round: the open boxes, dealt round-robin to ``jobs`` workers, each working
        for a slice of time; results are merged in submission order (deterministic).

        A worker that dies or stalls costs nothing but time: its boxes go back on the
        stack and the run goes on in this process (``self.alone``)."""
        from alignspec.execution import lost
        from alignspec.neural.parallel import deferred_interrupts, executor, run_share

        payload = _payload(self.query)
        shares = [s for s in (self.stack[i::jobs] for i in range(jobs)) if s]
        remaining = self.budget.remaining()
        # A share works for settings.share seconds plus one step; far beyond that it stalled.
        patience = None if remaining is None else remaining + 30.0
        try:
            with deferred_interrupts():  # submitting may start workers
                pool = executor(jobs)
                futures = [
                    pool.submit(
                        run_share,
                        payload,
                        share,
                        self.settings,
                        self.budget.rlimit,
                        remaining,
                        (self.root_lo, self.root_hi, self.total),
                        seed,
                    )
                    for seed, share in enumerate(shares)
                ]
        except (OSError, RuntimeError) as err:  # a broken local pool is a RuntimeError too
            self._alone(jobs, f"worker processes could not start ({err})")
            return None
        self.stack = []
        found = None
        for fut, share in zip(futures, shares, strict=True):
            try:
                work: Work = fut.result(timeout=patience)
            except Exception as err:
                if not lost(err):
                    raise
                self.stack.extend(share)  # redone here: no box is lost
                self._alone(jobs, f"a worker process failed ({type(err).__name__})")
                continue
            self.closed += work.closed
            self.boxes += work.boxes
            self.leaves += work.leaves
            self.undecided = self.undecided or work.undecided
            if found is None and work.found is not None:
                found = work.found
            self.stack.extend(work.left)
        return found

    def _alone(self, jobs: int, why: str) -> None:
        """Give up on worker processes for the rest of this run (their boxes stay here)."""
        from alignspec.neural.parallel import discard

        if not self.alone:
            self.alone = True
            self.stats["workers_failed"] = 1.0
            discard(jobs)
            import warnings

            warnings.warn(f"alignspec: {why}; going on in this process", stacklevel=2)

    def step(self) -> dict[str, State] | None:
        """One batch of boxes off the stack: bound, close, sample, leaf or split."""
        take = self.stack[-self.settings.batch :]
        del self.stack[-self.settings.batch :]
        lo = np.array([t[0] for t in take])
        hi = np.array([t[1] for t in take])
        depth = np.array([t[2] for t in take])
        self.boxes += len(take)
        bounds = self.ev.bounds(lo, hi)
        must, may = self.ev.truth(bounds)
        for b in np.flatnonzero(~may):
            self.closed += self._measure(lo[b], hi[b])
        open_ = np.flatnonzero(may)
        if not len(open_):
            return None
        found = self._look(lo[open_], hi[open_], must[open_])
        if found is not None:
            return found
        near = bounds.unstable[open_] <= self.settings.alpha_unstable
        leaf = (bounds.unstable[open_] <= self.settings.leaf_unstable) | (
            depth[open_] >= self.settings.max_depth
        )
        if self.settings.alpha_steps and (leaf | near).any():
            # before a leaf goes to z3: optimised ReLU slopes (alpha-CROWN) often close it
            tried = np.flatnonzero(leaf | near)
            boxes = open_[tried]
            tight = self.ev.bounds(lo[boxes], hi[boxes], alpha=self.settings.alpha_steps)
            still = self.ev.truth(tight)[1]
            for b in boxes[~still]:
                self.closed += self._measure(lo[b], hi[b])
            keep = np.ones(len(open_), bool)
            keep[tried[~still]] = False
            open_, leaf = open_[keep], leaf[keep]
        widths = hi[open_] - lo[open_]
        points = ~np.any(widths > 0, axis=1)
        for i, b in enumerate(open_):
            if leaf[i] or points[i]:
                answer = self._leaf(lo[b], hi[b], bounds, int(b))
                if isinstance(answer, dict):
                    return answer
                if answer == "none":
                    self.closed += self._measure(lo[b], hi[b])
                    continue
                if points[i] or depth[b] >= 2 * self.settings.max_depth:
                    self.undecided = answer
                    continue
            self.stack.extend(self._split(lo[b], hi[b], bounds.influence[b], int(depth[b])))
        return None

    def _done(self, search: Search, started: float) -> Outcome:
        stats = {
            **search.stats,
            "boxes": self.boxes,
            "leaves": self.leaves,
            "seconds": round(time.perf_counter() - started, 6),
        }
        return Outcome(
            attrs.evolve(search, stats=stats), self.closed / self.total, self.boxes, self.leaves
        )

    def _unknown(self, reason: str, started: float) -> Outcome:
        share = self.closed / self.total
        return self._done(
            Search("unknown", reason=f"{reason}; {share:.1%} of the region was proved"), started
        )

    # --- measure and splitting ----------------------------------------------------------------
    def _measure(self, lo: F64, hi: F64) -> float:
        out = 1.0
        for d in range(len(lo)):
            span = self.root_hi[d] - self.root_lo[d]
            if self.integral[d]:
                out *= (hi[d] - lo[d] + 1) / (span + 1)
            elif span > 0:
                out *= (hi[d] - lo[d]) / span
        return out

    def _split(self, lo: F64, hi: F64, influence: F64, depth: int) -> list[tuple[F64, F64, int]]:
        width = hi - lo
        span = np.where(self.root_hi > self.root_lo, self.root_hi - self.root_lo, 1.0)
        score = influence + 1e-9 * width / span
        score = np.where(width > 0, score, -1.0)
        d = int(np.argmax(score))
        if self.integral[d]:
            mid = math.floor((lo[d] + hi[d]) / 2)
            left_hi, right_lo = float(mid), float(mid + 1)
        else:
            mid_f = lo[d] + width[d] / 2
            left_hi = right_lo = float(mid_f)
        a_hi, b_lo = hi.copy(), lo.copy()
        a_hi[d], b_lo[d] = left_hi, right_lo
        return [(b_lo, hi, depth + 1), (lo, a_hi, depth + 1)]

    # --- counterexamples ----------------------------------------------------------------------
    def _look(self, lo: F64, hi: F64, must: npt.NDArray[np.bool_]) -> dict[str, State] | None:
        """Try the centre and random points of each open box, then (in early rounds and
        now and then later) push them uphill on the condition's margin; replay the best."""
        self.rounds += 1
        k = self.settings.samples
        n_boxes, n = lo.shape
        centre = (lo + hi) / 2
        rand = lo[:, None, :] + self.rng.random((n_boxes, k, n)) * (hi - lo)[:, None, :]
        points = np.concatenate([centre[:, None, :], rand], axis=1).reshape(-1, n)
        points = self._snap(points)
        found = self._replay(points)
        if found is not None or not self.settings.gradient_steps:
            return found
        if self.rounds > 8 and self.rounds % 8:
            return None
        box_lo = np.repeat(lo, k + 1, axis=0)
        box_hi = np.repeat(hi, k + 1, axis=0)
        moved = ascend(self.ev, points, box_lo, box_hi, self.settings.gradient_steps, self.integral)
        return self._replay(moved)

    def _replay(self, points: F64) -> dict[str, State] | None:
        hits = point_truth(self.ev, points, slack=1e-9)
        for p in np.flatnonzero(hits)[: self.settings.max_replays]:
            states = self.states_at(points[p])
            if states is not None:
                return states
        return None

    def _snap(self, points: F64) -> F64:
        return np.where(self.integral, np.round(points), points)

    def states_at(self, point: Sequence[float] | F64) -> dict[str, State] | None:
        """The exact assignment at ``point`` (networks evaluated in rationals), if it
        satisfies every constraint of the problem exactly."""
        values = [self._exact(d, float(x)) for d, x in zip(self.query.dims, point, strict=True)]
        return self._assemble(values)

    def _exact(self, dim: Dim, x: float) -> Fraction:
        v = Fraction(round(x)) if dim.integral else Fraction(x)
        return min(max(v, dim.lo), dim.hi)

    def _assemble(self, values: Sequence[Fraction]) -> dict[str, State] | None:
        problem = self.query.problem
        scope = problem.scope
        states: dict[str, State] = {role: {} for role in problem.roles}
        for name, (kind, where) in self.query.meaning.items():
            if kind == "dim":
                assert isinstance(where, int)
                role, var = name.split(".", 1)
                states[role][var] = _value(scope[name], values[where])
        for link in problem.networks:
            state = states[link.role]
            x = [_number(state[n]) for n in link.inputs]
            y = link.network.forward(x)
            if link.mode == "affine":
                for name, v in zip(link.outputs, y, strict=True):
                    state[name] = v
            else:
                assert link.action is not None
                best = max(y) if link.mode == "argmax" else min(y)
                choice = problem.roles[link.role].variables[link.action]
                assert isinstance(choice, Choice)
                state[link.action] = choice.labels[y.index(best)]
        ordered = {
            role: {n: states[role][n] for n in space.names} for role, space in problem.roles.items()
        }
        return ordered if replays(problem, ordered) else None

    # --- the exact leaf -----------------------------------------------------------------------
    def _leaf(self, lo: F64, hi: F64, bounds: BoxBounds, b: int) -> str | dict[str, State]:
        """z3 on the box with the networks' tightened neuron bounds: "none" (closed), a
        replayed assignment, or the reason it stays open."""
        self.leaves += 1
        problem = self.query.problem
        cuts = [
            (f"box: {lo[d]} <= {name} <= {hi[d]}", _within(problem, name, lo[d], hi[d]))
            for d, dim in enumerate(self.query.dims)
            for name in dim.names
        ]
        links = []
        for j, link in enumerate(problem.networks):
            layers = bounds.layers[j]
            if not all(
                np.all(np.isfinite(low[b])) and np.all(np.isfinite(up[b])) for low, up in layers
            ):
                return "a leaf's neuron bounds overflowed"
            tight = tuple(
                tuple(
                    (Fraction(float(low[b, i])), Fraction(float(up[b, i])))
                    for i in range(low.shape[1])
                )
                for low, up in layers
            )
            links.append(attrs.evolve(link, bounds=tight))
        leaf = attrs.evolve(problem.with_(*cuts), networks=tuple(links))
        out = solve(leaf, self.budget)
        self.stats["leaf_rlimit"] = self.stats.get("leaf_rlimit", 0) + out.stats.get(
            "rlimit_count", 0
        )
        if out.status == "unsat":
            return "none"
        if out.status == "sat" and out.states is not None:
            values = []
            for dim in self.query.dims:
                role, var = dim.names[0].split(".", 1)
                v = out.states[role][var]
                values.append(Fraction(int(v)) if isinstance(v, bool) else _index(problem, dim, v))
            found = self._assemble(values)
            if found is not None:
                return found
            return "replay failed: a leaf model did not replay exactly"
        return out.reason or "the leaf solver answered unknown"


def _index(problem: Problem, dim: Dim, v: Value) -> Fraction:
    var = problem.scope[dim.names[0]]
    if isinstance(var, Choice):
        return Fraction(var.labels.index(str(v)))
    return _number(v)


def _number(v: Value) -> Fraction:
    if isinstance(v, bool):
        return Fraction(int(v))
    assert not isinstance(v, str)
    return Fraction(v)


def _value(var: object, v: Fraction) -> Value:
    if isinstance(var, Bool):
        return bool(v)
    if isinstance(var, Choice):
        return var.labels[int(v)]
    if isinstance(var, Int):
        return int(v)
    return v


def _within(problem: Problem, name: str, lo: float, hi: float) -> sympy.Basic:
    """``lo <= name <= hi`` as a condition (a Choice: one of the labels in the range)."""
    var = problem.scope[name]
    sym = make_symbol(name, var)
    if isinstance(var, Choice):
        picked = [eq(sym, label) for i, label in enumerate(var.labels) if lo <= i <= hi]
        return sympy.Or(*picked)
    a, b = Fraction(float(lo)), Fraction(float(hi))
    with evaluate(False):
        return sympy.And(
            sym >= sympy.Rational(a.numerator, a.denominator),
            sym <= sympy.Rational(b.numerator, b.denominator),
        )


def unstable_neurons(links: Sequence[NetworkLink]) -> int:
    return sum(link.unstable for link in links)


__all__ = ["Outcome", "Settings", "decide", "point_values"]

"""Ground truth by brute force, written from the checks' documented questions.

Nothing here calls alignspec's evaluation, encodings or solvers: expressions go through
:mod:`.evaluator`, policies through ``PolicyCase.act``, MDPs through exact Fraction
linear algebra below.  Domains with Real variables are explored on a rational grid, so
there the oracles are one-sided (a grid counterexample refutes PROVED; a grid miss says
nothing).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

import sympy as sp

import alignspec as al

from . import evaluator as ev
from .generators import InnerCase, MDPCase, PolicyCase, SpecCase, TSCase, states, values_of

State = dict[str, object]

# --------------------------------------------------------------------------- states


def in_space(space_vars: Mapping[str, Any], state: Mapping[str, object]) -> str | None:
    """Why ``state`` is not a state of the variables (None: it is)."""
    if set(state) != set(space_vars):
        return f"keys {sorted(state)} != variables {sorted(space_vars)}"
    for name, var in space_vars.items():
        x = state[name]
        if isinstance(var, al.Bool):
            if not isinstance(x, bool):
                return f"{name}={x!r} is not a bool"
        elif isinstance(var, al.Choice):
            if x not in var.labels:
                return f"{name}={x!r} is not a label of {var.labels}"
        else:
            if isinstance(x, bool) or not isinstance(x, (int, Fraction, float)):
                return f"{name}={x!r} is not a number"
            f = Fraction(x)
            if not var.lo <= f <= var.hi:
                return f"{name}={x!r} outside [{var.lo}, {var.hi}]"
            if isinstance(var, al.Int) and f.denominator != 1:
                return f"{name}={x!r} is not whole"
    return None


def restrict(state: Mapping[str, object], names: Iterable[str]) -> State:
    return {n: state[n] for n in names}


# --------------------------------------------------------------------------- outer


class OuterTruth:
    """Reward, utility and compliance of every feasible state of a spec (on the grid when
    there are Reals: then ``complete`` is False)."""

    def __init__(self, case: SpecCase, dense: bool = False) -> None:
        self.case = case
        self.complete = all(not isinstance(v, al.Real) for v in case.domain.values())
        self.points: list[tuple[State, Fraction | None, Fraction | None, bool]] = []
        self.any_state = False
        for s in states(case.domain, dense=dense):
            self.any_state = True
            if not all(ev.truth(a, s) for a in case.assume):
                continue
            r = ev.num(case.reward, s) if case.reward is not None else None
            u = ev.num(case.utility, s) if case.utility is not None else None
            ok = all(ev.truth(q, s) for q in case.require)
            self.points.append((s, r, u, ok))

    # -- evaluation of one (witness) state
    def feasible(self, s: State) -> bool:
        return all(ev.truth(a, s) for a in self.case.assume)

    def R(self, s: State) -> Fraction:
        return ev.num(self.case.reward, s)

    def U(self, s: State) -> Fraction:
        return ev.num(self.case.utility, s)

    def compliant(self, s: State) -> bool:
        return all(ev.truth(q, s) for q in self.case.require)

    def check_state(self, s: object, what: str) -> State:
        if not isinstance(s, Mapping):
            raise Mismatch(f"{what} is not a state: {s!r}")
        why = in_space(self.case.domain, s)
        if why:
            raise Mismatch(f"{what} {dict(s)} is not a state of the spec's domain: {why}")
        return dict(s)

    # -- the checks' questions
    def inversion_pairs(self, m: Fraction) -> tuple[State, State] | None:
        pts = sorted(self.points, key=lambda p: p[1], reverse=True)  # by reward, descending
        # for each s2, is there s1 with R1 > R2 + m and U1 < U2 - m?
        best_u: list[tuple[Fraction, Fraction, State]] = []  # (R, min U so far, state)
        running: tuple[Fraction, State] | None = None
        for s, r, u, _ in pts:
            if running is None or u < running[0]:
                running = (u, s)
            best_u.append((r, running[0], running[1]))
        for s2, r2, u2, _ in self.points:
            for r1, umin, s1 in best_u:  # prefix minima: scan until reward too low
                if r1 <= r2 + m:
                    break
                if umin < u2 - m:
                    # find the exact s1 (prefix holder may have larger R; fine)
                    return s1, s2
        return None

    def reward_max(self) -> Fraction | None:
        return max((r for _, r, _, _ in self.points), default=None)

    def reward_min(self) -> Fraction | None:
        return min((r for _, r, _, _ in self.points), default=None)

    def utility_max(self, compliant_only: bool = False) -> Fraction | None:
        us = [u for _, _, u, ok in self.points if ok or not compliant_only]
        return max(us) if us else None

    def compliant_reward_max(self) -> Fraction | None:
        rs = [r for _, r, _, ok in self.points if ok]
        return max(rs) if rs else None


class Mismatch(AssertionError):
    """The library's answer contradicts the harness's ground truth."""


# --------------------------------------------------------------------------- policies


def policy_states(pol: PolicyCase, region: sp.Basic | None, dense: bool = False) -> list[State]:
    """States in the region where the policy is defined."""
    out = []
    for s in states(dict(pol.space.variables), dense):
        if region is not None and not ev.truth(region, s):
            continue
        if not pol.defined(s):
            continue
        out.append(s)
    return out


def action_candidates(pol: PolicyCase, dense: bool = False) -> list[object]:
    if pol.finite:
        return list(pol.actions.labels)  # type: ignore[union-attr]
    names = list(pol.actions.variables)  # type: ignore[union-attr]
    pools = [values_of(pol.actions.variables[n], dense) for n in names]  # type: ignore[union-attr]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*pools)]


def escape_state(pol: PolicyCase, region: sp.Basic | None) -> State | None:
    """A region state where a continuous policy's output leaves the action bounds."""
    if pol.finite:
        return None
    for s in policy_states(pol, region):
        if not pol.in_bounds(pol.act(s)):
            return s
    return None


def same_action(pol: PolicyCase, a: object, b: object) -> bool:
    if pol.finite:
        return a == b
    return all(Fraction(a[n]) == Fraction(b[n]) for n in pol.action_vars)  # type: ignore[index]


def witness_action(pol: PolicyCase, state: Mapping[str, object]) -> object:
    if pol.finite:
        return state[pol.actions.name]  # type: ignore[union-attr]
    return {n: state[n] for n in pol.action_vars}


class InnerTruth:
    def __init__(self, case: InnerCase) -> None:
        self.case = case
        self.pol = case.pol
        self.complete = all(not isinstance(v, al.Real) for v in case.domain.values())

    def env(self, s: State, action: object) -> State:
        return {**s, **self.pol.action_env(action)}

    def holds_all(self, conds: Iterable[sp.Basic], env: State) -> bool:
        return all(ev.truth(c, env) for c in conds)

    # verify: a region state where assumptions hold at (s, pi(s)) and a requirement breaks
    def verify_counterexample(self, region: sp.Basic | None) -> State | None:
        esc = escape_state(self.pol, region)
        if esc is not None:
            return esc
        for s in policy_states(self.pol, region):
            e = self.env(s, self.pol.act(s))
            if self.holds_all(self.case.assume, e) and not self.holds_all(self.case.require, e):
                return e
        return None

    def optimality_counterexample(
        self, q: sp.Basic, region: sp.Basic | None, eps: Fraction, assume: list[sp.Basic]
    ) -> tuple[State, State] | State | None:
        esc = escape_state(self.pol, region)
        if esc is not None:
            return esc
        cands = action_candidates(self.pol)
        for s in policy_states(self.pol, region):
            e = self.env(s, self.pol.act(s))
            if not self.holds_all(assume, e):
                continue
            qs = ev.num(q, e)
            for a in cands:
                b = self.env(s, a)
                if self.holds_all(assume, b) and ev.num(q, b) > qs + eps:
                    return e, b
        return None

    def oversight_counterexample(
        self, flag: str, region: sp.Basic | None, spec: bool
    ) -> tuple[State, State] | State | None:
        esc = escape_state(self.pol, region)
        if esc is not None:
            return esc
        for s in policy_states(self.pol, region):
            if not s[flag]:
                continue
            u = {**s, flag: False}
            if region is not None and not ev.truth(region, u):
                continue
            if not self.pol.defined(u):
                continue
            aw, au = self.pol.act(s), self.pol.act(u)
            ew, eu = self.env(s, aw), self.env(u, au)
            if not spec:
                if not same_action(self.pol, aw, au):
                    return ew, eu
            elif (
                self.holds_all(self.case.assume, ew)
                and self.holds_all(self.case.assume, eu)
                and self.holds_all(self.case.require, ew)
                and not self.holds_all(self.case.require, eu)
            ):
                return ew, eu
        return None

    # -- witness validation
    def is_escape_witness(self, witness: Mapping[str, Any], region: sp.Basic | None) -> bool:
        """A guard witness: a state (without action) where the output leaves the bounds."""
        if self.pol.finite or set(witness) != {"s"} or not isinstance(witness["s"], Mapping):
            return False
        s = dict(witness["s"])
        acts = self.pol.action_vars
        if set(s) == set(self.pol.space.variables) | set(acts):
            # the state with the escaping output itself: it must be the policy's output
            out = {n: s.pop(n) for n in acts}
            if in_space(acts, out) is None:
                return False  # an ordinary state-action witness
            mine = self.pol.act(restrict(s, self.pol.space.names))
            if not same_action(self.pol, mine, out):
                raise Mismatch(f"escape witness {witness['s']}: the policy's output is {mine}")
        if set(s) != set(self.pol.space.variables):
            return False
        why = in_space(self.pol.space.variables, s)
        if why:
            raise Mismatch(f"escape witness {s} is not a state: {why}")
        if region is not None and not ev.truth(region, s):
            raise Mismatch(f"escape witness {s} is outside the region {region}")
        if self.pol.in_bounds(self.pol.act(dict(s))):
            raise Mismatch(
                f"escape witness {s}: the policy's output {self.pol.act(dict(s))} is within "
                "the action bounds"
            )
        return True

    def policy_state(self, w: object, role: str, region: sp.Basic | None) -> tuple[State, object]:
        """Validate a state-action witness role: in the domain, in the region, the
        action is the policy's own."""
        if not isinstance(w, Mapping):
            raise Mismatch(f"witness {role} is not a state: {w!r}")
        why = in_space(self.case.domain, w)
        if why:
            raise Mismatch(f"witness {role} {dict(w)} is not a state-action of the domain: {why}")
        s = restrict(w, self.pol.space.names)
        if region is not None and not ev.truth(region, s):
            raise Mismatch(f"witness {role} {s} lies outside the region {region}")
        if not self.pol.defined(s):
            raise Mismatch(f"witness {role} {s} is not a state of the policy's table")
        mine = self.pol.act(s)
        theirs = witness_action(self.pol, w)
        if not same_action(self.pol, mine, theirs):
            raise Mismatch(
                f"witness {role} {dict(w)}: its action {theirs} is not the policy's action {mine}"
            )
        return s, mine


# --------------------------------------------------------------------------- MDPs


def solve_linear(A: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    """Exact Gauss-Jordan elimination; None when singular."""
    n = len(A)
    M = [row[:] + [b[i]] for i, row in enumerate(A)]
    for col in range(n):
        piv = next((r for r in range(col, n) if M[r][col] != 0), None)
        if piv is None:
            return None
        M[col], M[piv] = M[piv], M[col]
        p = M[col][col]
        M[col] = [x / p for x in M[col]]
        for r in range(n):
            if r != col and M[r][col] != 0:
                f = M[r][col]
                M[r] = [x - f * y for x, y in zip(M[r], M[col], strict=True)]
    return [M[i][n] for i in range(n)]


class MDPTruth:
    def __init__(self, case: MDPCase) -> None:
        self.case = case
        self.S = list(case.states)
        self.A = list(case.actions)
        self.term = set(case.terminal)
        self.live = [s for s in self.S if s not in self.term]
        self.P: dict[tuple[object, str], dict[object, Fraction]] = {}
        for s in self.live:
            for a in self.A:
                out: dict[object, Fraction] = {}
                for p, s2 in case.trans[(s, a)]:
                    out[s2] = out.get(s2, Fraction(0)) + Fraction(p)
                self.P[(s, a)] = {k: v for k, v in out.items() if v}
        self.gamma = case.gamma
        self._r: dict[str, dict[tuple[object, str], Fraction]] = {}

    def r(self, name: str, s: object, a: str) -> Fraction:
        """Expected immediate reward (terminal states earn nothing)."""
        table = self._r.setdefault(name, {})
        if (s, a) not in table:
            table[(s, a)] = sum(
                (p * self.case.R(name, s, a, s2) for s2, p in self.P[(s, a)].items()), Fraction(0)
            )
        return table[(s, a)]

    def values(
        self, strategy: Mapping[object, Mapping[str, Fraction]], name: str
    ) -> dict[object, Fraction]:
        idx = {s: i for i, s in enumerate(self.live)}
        n = len(self.live)
        A = [[Fraction(0)] * n for _ in range(n)]
        b = [Fraction(0)] * n
        for s in self.live:
            i = idx[s]
            A[i][i] += 1
            for a, pa in strategy[s].items():
                if not pa:
                    continue
                b[i] += pa * self.r(name, s, a)
                for s2, p in self.P[(s, a)].items():
                    if s2 in idx:
                        A[i][idx[s2]] -= self.gamma * pa * p
        x = solve_linear(A, b)
        if x is None:
            raise ValueError("improper policy")
        v = {s: Fraction(0) for s in self.S}
        for s, i in idx.items():
            v[s] = x[i]
        return v

    def J(self, strategy: Mapping[object, Mapping[str, Fraction]], name: str) -> Fraction:
        v = self.values(strategy, name)
        return sum((Fraction(p) * v[s] for s, p in self.case.init.items()), Fraction(0))

    def deterministic(self) -> list[dict[object, dict[str, Fraction]]]:
        out = []
        for combo in itertools.product(self.A, repeat=len(self.live)):
            pol = {s: {self.A[0]: Fraction(1)} for s in self.term}
            pol.update({s: {a: Fraction(1)} for s, a in zip(self.live, combo, strict=True)})
            out.append(pol)
        return out

    def optimal_values(self, name: str) -> dict[object, Fraction]:
        best: dict[object, Fraction] | None = None
        for pol in self.deterministic():
            v = self.values(pol, name)
            best = v if best is None else {s: max(best[s], v[s]) for s in self.S}
        assert best is not None
        return best

    def q(self, name: str, v: Mapping[object, Fraction], s: object, a: str) -> Fraction:
        return self.r(name, s, a) + self.gamma * sum(
            (p * v[s2] for s2, p in self.P[(s, a)].items()), Fraction(0)
        )

    def reachable(self, pol: Mapping[object, Mapping[str, Fraction]]) -> set[object]:
        seen = {s for s, p in self.case.init.items() if p}
        frontier = list(seen)
        while frontier:
            s = frontier.pop()
            if s in self.term:
                continue
            for a, pa in pol[s].items():
                if not pa:
                    continue
                for s2 in self.P[(s, a)]:
                    if s2 not in seen:
                        seen.add(s2)
                        frontier.append(s2)
        return seen

    def parse_strategy(self, described: Mapping[str, Any]) -> dict[object, dict[str, Fraction]]:
        """A witness policy as alignspec describes it: str(state) -> "a" or "a: p, b: q"."""
        by_name = {str(s): s for s in self.S}
        out: dict[object, dict[str, Fraction]] = {s: {self.A[0]: Fraction(1)} for s in self.term}
        for key, text in described.items():
            if key not in by_name:
                raise Mismatch(f"witness policy names an unknown state {key!r}")
            s = by_name[key]
            row: dict[str, Fraction] = {}
            if ":" in str(text):
                for part in str(text).split(", "):
                    a, p = part.rsplit(": ", 1)
                    row[a] = Fraction(p)
            else:
                row[str(text)] = Fraction(1)
            if any(a not in self.A for a in row) or sum(row.values()) != 1:
                raise Mismatch(
                    f"witness policy at {key}: {text!r} is not a distribution over {self.A}"
                )
            out[s] = row
        missing = [s for s in self.live if s not in out]
        if missing:
            raise Mismatch(f"witness policy does not say what to do at {missing}")
        return out


def hackable_truth(points: list[tuple[Fraction, Fraction]]) -> bool:
    """Is conv(points) hackable: p, q in the hull with p.x < q.x and p.y > q.y?"""
    base = points[0]
    diffs = [(x - base[0], y - base[1]) for x, y in points]
    nonzero = [d for d in diffs if d != (0, 0)]
    if not nonzero:
        return False
    d0 = nonzero[0]
    for d in nonzero:
        if d0[0] * d[1] - d0[1] * d[0] != 0:
            return True  # not collinear: the hull has interior
    return d0[0] * d0[1] < 0


def shaping_exists(truth: MDPTruth, r1: str, r2: str) -> bool:
    """Is r2 = c r1 + gamma Phi(s') - Phi(s) (c > 0, Phi = 0 on terminal states) on every
    possible transition?  Solved with sympy's linsolve over the rationals."""
    c = sp.Symbol("c")
    phi = {s: sp.Symbol(f"phi{i}") for i, s in enumerate(truth.S)}
    eqs = []
    for s in truth.term:
        eqs.append(sp.Eq(phi[s], 0))
    for s in truth.live:
        for a in truth.A:
            for s2 in truth.P[(s, a)]:
                R1 = truth.case.R(r1, s, a, s2)
                R2 = truth.case.R(r2, s, a, s2)
                eqs.append(
                    sp.Eq(
                        c * sp.Rational(R1.numerator, R1.denominator)
                        + sp.Rational(truth.gamma.numerator, truth.gamma.denominator) * phi[s2]
                        - phi[s],
                        sp.Rational(R2.numerator, R2.denominator),
                    )
                )
    unknowns = [c, *phi.values()]
    sol = sp.linsolve(eqs, unknowns)
    if sol == sp.EmptySet or not sol:
        return False
    (tup,) = list(sol)
    cval = tup[0]
    if cval.free_symbols:
        return True
    return bool(cval > 0)


def epic_truth(
    truth: MDPTruth, r1: str, r2: str, ds: list[Fraction], da: list[Fraction]
) -> tuple[Fraction, Fraction, Fraction, Fraction] | None:
    """(cov, var1, var2, rho^2) of the canonicalised rewards (raw rewards, no terminal
    zeroing: EPIC compares reward functions), exactly."""
    S, A, g = truth.S, truth.A, truth.gamma
    n, m = len(S), len(A)

    def canon(name: str) -> dict[tuple[int, int, int], Fraction]:
        R = {
            (i, a, j): truth.case.R(name, S[i], A[a], S[j])
            for i in range(n)
            for a in range(m)
            for j in range(n)
        }
        mean = [
            sum((da[a] * ds[j] * R[(i, a, j)] for a in range(m) for j in range(n)), Fraction(0))
            for i in range(n)
        ]
        overall = sum((ds[i] * mean[i] for i in range(n)), Fraction(0))
        return {k: R[k] + g * mean[k[2]] - mean[k[0]] - g * overall for k in R}

    c1, c2 = canon(r1), canon(r2)
    w = {k: ds[k[0]] * da[k[1]] * ds[k[2]] for k in c1}
    m1 = sum((w[k] * c1[k] for k in c1), Fraction(0))
    m2 = sum((w[k] * c2[k] for k in c2), Fraction(0))
    cov = sum((w[k] * (c1[k] - m1) * (c2[k] - m2) for k in c1), Fraction(0))
    v1 = sum((w[k] * (c1[k] - m1) ** 2 for k in c1), Fraction(0))
    v2 = sum((w[k] * (c2[k] - m2) ** 2 for k in c2), Fraction(0))
    if v1 == 0 or v2 == 0:
        return None
    return cov, v1, v2, cov * cov / (v1 * v2)


# --------------------------------------------------------------------------- transition systems


class TSTruth:
    def __init__(self, case: TSCase) -> None:
        self.case = case
        self.vars = dict(case.space.variables)
        self.labels = list(case.actions.labels)
        self.name = case.actions.name

    def inside(self, s: Mapping[str, object]) -> bool:
        return in_space(self.vars, s) is None

    def successors(self, s: State, a: str) -> list[State]:
        env = {**s, self.name: a}
        if self.case.update is not None:
            return [
                {
                    n: int(ev.num(e, env)) if ev.num(e, env).denominator == 1 else ev.num(e, env)
                    for n, e in self.case.update.items()
                }
            ]
        out = []
        for t in states(self.vars):
            full = {**env, **{f"{n}__next": t[n] for n in self.vars}}
            if all(ev.truth(c, full) for c in self.case.trans or ()):
                out.append(t)
        return out

    def action_of(self, s: State) -> list[str]:
        pol = self.case.pol
        if pol is None:
            return self.labels
        return [str(pol.act(dict(s)))]

    def trajectories(self) -> Iterable[list[tuple[State, str | None]]]:
        """Every trajectory of ``horizon`` steps from a declared state satisfying init."""
        H = self.case.horizon

        def extend(
            path: list[tuple[State, str | None]], s: State
        ) -> Iterable[list[tuple[State, str | None]]]:
            if len(path) == H:
                yield path + [(s, None)]
                return
            for a in self.action_of(s):
                for t in self.successors(s, a):
                    yield from extend(path + [(s, a)], t)

        for s in states(self.vars):
            if ev.truth(self.case.init, s):
                yield from extend([], s)

    def returns(self, traj: list[tuple[State, str | None]]) -> tuple[Fraction, Fraction]:
        g = self.case.gamma
        rs = ri = Fraction(0)
        w = Fraction(1)
        for s, a in traj[:-1]:
            env = {**s, self.name: a}
            if self.case.specified is not None:
                rs += w * ev.num(self.case.specified, env)
            if self.case.intended is not None:
                ri += w * ev.num(self.case.intended, env)
            w *= g
        return rs, ri

    def uses_action(self, req: sp.Basic) -> bool:
        return any(s.name == self.name for s in req.free_symbols)

    def bad(self, traj: list[tuple[State, str | None]]) -> bool:
        c = self.case
        rs, ri = self.returns(traj)
        if c.reach is not None and rs < c.reach:
            return False
        broken = c.below is not None and ri < c.below
        for req in c.require:
            if self.uses_action(req):
                broken = broken or any(not ev.truth(req, {**s, self.name: a}) for s, a in traj[:-1])
            else:
                broken = broken or any(not ev.truth(req, s) for s, _ in traj)
        if c.update is not None:
            broken = broken or any(not self.inside(s) for s, _ in traj[1:])
        return broken

    def counterexample(self) -> list[tuple[State, str | None]] | None:
        for traj in self.trajectories():
            if self.bad(traj):
                return traj
        return None

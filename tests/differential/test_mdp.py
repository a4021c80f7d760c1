"""MDP checks (regret, hackable, equivalent, epic, evaluate, optimal, forbidden) against
enumeration of every deterministic policy with exact Fraction linear algebra; rewards as
arrays, functions and sympy expressions over state features."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

import alignspec as al
from alignspec import mdp

from .generators import MDPCase, mdp_cases
from .harness import call, examples, mismatch
from .oracles import MDPTruth, Mismatch, epic_truth, hackable_truth, shaping_exists


def _build(case: MDPCase) -> tuple[al.MDP, MDPTruth] | None:
    m = call("MDP", case.build, case.repro)
    if m is None:
        return None
    return m, MDPTruth(case)


def _guard(check: str, case: MDPCase, f: Any, fn: Any) -> None:
    try:
        fn()
    except Mismatch as m:
        sig = None
        if check == "forbidden" and any(p == 0 for p in case.init.values()):
            sig = "(N5) forbidden starts from zero-probability initial states"
        mismatch(check, str(m), case.repro, f if isinstance(f, al.Finding) else None, sig)


def _add_shaped(data: st.DataObject, case: MDPCase, base: str, name: str) -> None:
    """A reward equal to c * base + gamma * Phi(s') - Phi(s) (Phi = 0 on terminal states)."""
    c = data.draw(
        st.sampled_from([Fraction(1), Fraction(2), Fraction(1, 2), Fraction(3)]), label="c"
    )
    phi = {
        s: (
            Fraction(0)
            if s in case.terminal
            else data.draw(
                st.sampled_from([Fraction(0), Fraction(1), Fraction(-2), Fraction(1, 2)])
            )
        )
        for s in case.states
    }
    table = {
        (s, a, t): c * case.R(base, s, a, t) + case.gamma * phi[t] - phi[s]
        for s in case.states
        for a in case.actions
        for t in case.states
    }
    case.rewards[name] = ("function", table)


def _regret(
    case: MDPCase, m: al.MDP, truth: MDPTruth, tol: Fraction, exact: bool | None = None
) -> None:
    """``exact=False``: value intervals only; they may say UNKNOWN (near-ties, a
    tolerance inside the interval) but never contradict brute force, and every bound
    must contain the exact figure."""
    spec, intended = case.reward_input("spec"), case.reward_input("int")
    f = call(
        "regret" if exact is None else f"regret(exact={exact})",
        lambda: mdp.regret(m, spec, intended, tolerance=tol, exact=exact),
        case.repro,
    )
    if f is None or (exact is False and f.verdict is al.Verdict.UNKNOWN):
        return

    def validate() -> None:
        pols = truth.deterministic()
        js = [truth.J(p, "spec") for p in pols]
        ji = [truth.J(p, "int") for p in pols]
        top = max(js)
        tied = [i for i, j in enumerate(js) if j == top]
        worst = min(ji[i] for i in tied)
        best_tied = max(ji[i] for i in tied)
        star = max(ji)
        want = {
            "reward_optimum": top,
            "intended_achieved": worst,
            "intended_optimum": star,
            "regret": star - worst,
            "regret_best_tie": star - best_tied,
        }
        for k, v in want.items():
            if k in f.figures and f.figures[k] != v:
                raise Mismatch(
                    f"figure {k} = {f.figures[k]}, brute force over all "
                    f"{len(pols)} deterministic policies: {v}"
                )
            lo, hi = f.figures.get(f"{k}_lower", v), f.figures.get(f"{k}_upper", v)
            if not lo <= v <= hi:
                raise Mismatch(f"figure {k} = {v} (brute force) lies outside [{lo}, {hi}]")
        verdict = al.Verdict.VIOLATED if star - worst > tol else al.Verdict.PROVED
        if f.verdict is not verdict:
            raise Mismatch(
                f"verdict {f.verdict}, brute force {verdict} "
                f"(regret {star - worst}, tolerance {tol})"
            )
        if f.verdict is al.Verdict.VIOLATED:
            pol = truth.parse_strategy((f.witness or {}).get("policy", {}))
            if truth.J(pol, "spec") != top:
                raise Mismatch(
                    f"witness policy earns {truth.J(pol, 'spec')} specified, not the optimum {top}"
                )
            if truth.J(pol, "int") != worst:
                raise Mismatch(f"witness policy earns {truth.J(pol, 'int')} intended, not {worst}")
            _trace(case, truth, pol, f.trace)

    _guard("regret", case, f, validate)


def _trace(case: MDPCase, truth: MDPTruth, pol: dict, trace: Any) -> None:
    by_name = {str(s): s for s in case.states}
    rs = ri = Fraction(0)
    w = Fraction(1)
    prev = None
    for step in trace:
        s, a, s2 = by_name[step["state"]], step["action"], by_name[step["next"]]
        if prev is not None and s != prev:
            raise Mismatch(
                f"trace step {step['t']} starts at {s}, the previous step ended at {prev}"
            )
        if prev is None and not case.init.get(s):
            raise Mismatch(f"trace starts at {s}, not an initial state")
        if pol[s].get(a, 0) == 0:
            raise Mismatch(f"trace step {step['t']}: the policy never takes {a} at {s}")
        p = truth.P[(s, a)].get(s2, Fraction(0))
        if p == 0 or step["probability"] != p * pol[s][a]:
            raise Mismatch(
                f"trace step {step['t']}: P({s2}|{s},{a}) = {p}, trace says {step['probability']}"
            )
        if step["specified"] != case.R("spec", s, a, s2) or step["intended"] != case.R(
            "int", s, a, s2
        ):
            raise Mismatch(
                f"trace step {step['t']}: rewards {step['specified']}, {step['intended']} "
                f"!= {case.R('spec', s, a, s2)}, {case.R('int', s, a, s2)}"
            )
        rs += w * step["specified"]
        ri += w * step["intended"]
        if step["specified_return"] != rs or step["intended_return"] != ri:
            raise Mismatch(
                f"trace step {step['t']}: returns {step['specified_return']}, "
                f"{step['intended_return']} != {rs}, {ri}"
            )
        w *= case.gamma
        prev = s2


def _hackable(
    case: MDPCase,
    m: al.MDP,
    truth: MDPTruth,
    r1: str,
    r2: str,
    check: str = "hackable",
    policies: list | None = None,
) -> None:
    a, b = case.reward_input(r1), case.reward_input(r2)
    if check == "hackable":
        kw = {} if policies is None else {"policies": policies}
        f = call(
            check if policies is None else "hackable(policies)",
            lambda: mdp.hackable(m, a, b, **kw),
            case.repro,
        )
    else:
        f = call(check, lambda: mdp.equivalent(m, a, b), case.repro)
    if f is None:
        return

    def validate() -> None:
        if policies is None:
            pts = [(truth.J(p, r1), truth.J(p, r2)) for p in truth.deterministic()]
            hack = hackable_truth(pts)
        else:
            strats = [_strategy(truth, p) for p in policies]
            pts = [(truth.J(p, r1), truth.J(p, r2)) for p in strats]
            hack = any(x1 < x2 and y1 > y2 for x1, y1 in pts for x2, y2 in pts)
        if check == "equivalent":
            shaped = shaping_exists(truth, r1, r2)
            if f.verdict is al.Verdict.PROVED:
                if not shaped:
                    raise Mismatch(
                        "PROVED shaping equivalence; exact linear algebra (sympy) finds "
                        "no c > 0 and potential"
                    )
                c = f.figures["scale"]
                pot = {k: v for k, v in f.values["potential"].items()}
                by_name = {str(s): s for s in case.states}
                phi = {by_name[k]: Fraction(v) for k, v in pot.items()}
                if not c > 0:
                    raise Mismatch(f"scale {c} is not positive")
                for s in truth.term:
                    if phi[s] != 0:
                        raise Mismatch(f"potential {phi[s]} at terminal state {s}")
                for s in truth.live:
                    for act in truth.A:
                        for s2 in truth.P[(s, act)]:
                            lhs = case.R(r2, s, act, s2)
                            rhs = c * case.R(r1, s, act, s2) + case.gamma * phi[s2] - phi[s]
                            if lhs != rhs:
                                raise Mismatch(
                                    f"r2({s},{act},{s2}) = {lhs} != {rhs} = c r1 + shaping"
                                )
            elif shaped and f.verdict is al.Verdict.VIOLATED:
                raise Mismatch("VIOLATED, but r2 is c * r1 + potential shaping (sympy solved it)")
        else:
            if f.verdict is al.Verdict.PROVED and hack:
                raise Mismatch(
                    f"wrong PROVED: the returns (J_{r1}, J_{r2}) of the policies are "
                    f"{sorted(set(pts))[:8]}, which admit an opposite ordering"
                )
        if f.verdict is al.Verdict.VIOLATED:
            w = f.witness or {}
            p1, p2 = (
                truth.parse_strategy(w.get("pi", {})),
                truth.parse_strategy(w.get("pi_prime", {})),
            )
            j = [(truth.J(p, r1), truth.J(p, r2)) for p in (p1, p2)]
            if not (j[0][0] < j[1][0] and j[0][1] > j[1][1]):
                raise Mismatch(f"witness policies are not ordered oppositely: (J1, J2) = {j}")

    _guard(check, case, f, validate)


def _strategy(truth: MDPTruth, policy: Any) -> dict:
    out = {}
    for s in truth.S:
        choice = policy.get(s, truth.A[0])
        out[s] = dict(choice) if isinstance(choice, dict) else {choice: Fraction(1)}
    return out


@st.composite
def mdp_policies(draw: Any, case: MDPCase) -> dict:
    out: dict = {}
    for s in case.states:
        if draw(st.integers(0, 3)) == 0:
            continue  # missing: the first action
        if draw(st.booleans()):
            out[s] = draw(st.sampled_from(case.actions))
        else:
            a, b = draw(
                st.lists(st.sampled_from(case.actions), min_size=2, max_size=2, unique=True)
            )
            p = draw(st.sampled_from([Fraction(1, 2), Fraction(1, 3), Fraction(1)]))
            out[s] = {a: p, b: 1 - p}
    return out


@examples(40, 2000)
@given(case=mdp_cases(), data=st.data())
def test_mdp_regret_hackable(case: MDPCase, data: st.DataObject) -> None:
    """regret figures and verdict, hackable (over all stationary policies: the convex hull
    of the deterministic policies' returns) and among given policies, evaluate, optimal."""
    built = _build(case)
    if built is None:
        return
    m, truth = built
    tol = data.draw(st.sampled_from([Fraction(0), Fraction(0), Fraction(1, 2)]), label="tolerance")
    _regret(case, m, truth, tol)
    if case.gamma < 1:
        _regret(case, m, truth, tol, exact=False)
        # the large-model path (a certified pair first) on every model
        with mock.patch("alignspec.mdp._hackable.INTERVAL_STATES", 0):
            _hackable(case, m, truth, "spec", "int")
    _hackable(case, m, truth, "spec", "int")
    given_pols = data.draw(st.lists(mdp_policies(case), min_size=1, max_size=3), label="policies")
    _hackable(case, m, truth, "spec", "int", policies=given_pols)
    # evaluate: exact return of a (stochastic) policy
    pol = given_pols[0]
    for name in ("spec", "int"):
        reward = case.reward_input(name)
        got = call("evaluate", lambda: mdp.evaluate(m, pol, reward), case.repro)  # noqa: B023
        want = truth.J(_strategy(truth, pol), name)
        if got is not None and got != want:
            mismatch(
                "evaluate", f"evaluate({pol}) = {got} for {name}, brute force {want}", case.repro
            )
    # optimal: exact optimal values (internal expected-reward format)
    from alignspec.mdp.model import expected, reward_table

    r = expected(m, reward_table(m, case.reward_input("spec")))
    out = call("optimal", lambda: mdp.optimal(m, r), case.repro)
    if out is not None:
        choice, v = out
        vstar = truth.optimal_values("spec")
        got = {case.states[i]: v[i] for i in range(len(case.states))}
        if got != vstar:
            mismatch(
                "optimal",
                f"values {got} != pointwise maximum over deterministic policies {vstar}",
                case.repro,
            )
        det = {s: {case.actions[choice[i]]: Fraction(1)} for i, s in enumerate(case.states)}
        if truth.values(det, "spec") != vstar:
            mismatch(
                "optimal",
                f"the returned policy {det} does not attain the optimal values",
                case.repro,
            )


@examples(25, 1500)
@given(case=mdp_cases(), data=st.data())
def test_mdp_equivalent_epic(case: MDPCase, data: st.DataObject) -> None:
    """equivalent (potential shaping) and EPIC, on unrelated and on shaped reward pairs."""
    if data.draw(st.booleans(), label="shaped"):
        _add_shaped(data, case, "spec", "int")
    built = _build(case)
    if built is None:
        return
    m, truth = built
    _hackable(case, m, truth, "spec", "int", check="equivalent")
    # EPIC under a random coverage distribution (or uniform)
    n, k = len(case.states), len(case.actions)
    if data.draw(st.booleans(), label="uniform coverage"):
        cov = None
        ds = [Fraction(1, n)] * n
    else:
        weights = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n), label="coverage")
        if sum(weights) == 0:
            weights[0] = 1
        ds = [Fraction(w, sum(weights)) for w in weights]
        cov = dict(zip(case.states, ds, strict=True))
    da = [Fraction(1, k)] * k
    want = epic_truth(truth, "spec", "int", ds, da)
    for exact in (True, False):
        e = call(
            "epic" + ("" if exact else "(float)"),
            lambda: mdp.epic(
                m,
                case.reward_input("spec"),
                case.reward_input("int"),
                coverage=cov,
                exact=exact,  # noqa: B023 - called at once
            ),
            case.repro,
            spec_error_ok=want is None,
        )
        if want is None:
            if e is not None and (
                exact or math.isnan(e.figures["epic_distance"]) or math.isnan(e.figures["epic_rho"])
            ):
                mismatch(
                    "epic" + ("" if exact else "(float)"),
                    "a canonicalised reward is constant (EPIC undefined: the exact path "
                    f"raises a SpecError), yet it returned {e}",
                    case.repro,
                    signature=None if exact else "(N3) epic(exact=False) on a constant reward",
                )
            continue
        if e is None:
            continue
        cov_, _, _, rho2 = want
        rho = math.copysign(math.sqrt(float(rho2)), float(cov_))
        dist = 0.0 if (cov_ > 0 and rho2 == 1) else math.sqrt(max(0.0, (1 - rho) / 2))
        if exact:
            zero = e.verdict is al.Verdict.PROVED
            if e.figures["epic_rho_squared"] != rho2 or zero != (cov_ > 0 and rho2 == 1):
                mismatch(
                    "epic",
                    f"rho^2 {e.figures['epic_rho_squared']} (zero {zero}) != exact {rho2}",
                    case.repro,
                )
        if abs(e.figures["epic_distance"] - dist) > 1e-6:
            mismatch(
                "epic" + ("" if exact else "(float)"),
                f"distance {e.figures['epic_distance']} != {dist} (rho^2 {rho2})",
                case.repro,
            )


@examples(40, 1500)
@given(case=mdp_cases(rewards=("spec",)), data=st.data())
def test_mdp_forbidden(case: MDPCase, data: st.DataObject) -> None:
    """forbidden: can a policy optimal for the specified reward (ties included) reach a
    forbidden state with positive probability?"""
    bad = set(data.draw(st.lists(st.sampled_from(case.states), max_size=2), label="forbid"))
    run_forbidden(case, bad, data.draw(st.booleans(), label="predicate"))


def run_forbidden(case: MDPCase, bad: set, as_predicate: bool) -> None:
    built = _build(case)
    if built is None:
        return
    m, truth = built
    forbid: Any = (lambda s: s in bad) if as_predicate else sorted(bad)
    f = call("forbidden", lambda: mdp.forbidden(m, case.reward_input("spec"), forbid), case.repro)
    if f is None:
        return

    def validate() -> None:
        # optimal in the standard sense: V^pi(s) = V*(s) at every state (with gamma = 0 a
        # policy optimal from the start state alone may act arbitrarily later on)
        vstar = truth.optimal_values("spec")
        reach = set()
        for p in truth.deterministic():
            if truth.values(p, "spec") == vstar:
                reach |= truth.reachable(p)
        hit = reach & bad
        if f.verdict is al.Verdict.PROVED and hit:
            raise Mismatch(f"wrong PROVED: a specified-optimal policy reaches {sorted(hit)}")
        if f.verdict is al.Verdict.VIOLATED:
            if not hit:
                raise Mismatch(
                    "VIOLATED, but no specified-optimal (deterministic, hence no "
                    "stationary) policy reaches a forbidden state with positive probability"
                )
            path = list((f.witness or {}).get("path", {}).values())
            by_name = {str(s): s for s in case.states}
            states_ = [by_name[x] for x in path]
            if not states_ or states_[-1] not in bad or not case.init.get(states_[0]):
                raise Mismatch(
                    f"witness path {path} does not run from an initial state to a forbidden one"
                )
            v = truth.optimal_values("spec")
            actions = list((f.witness or {}).get("actions", {}).values())
            if len(actions) != len(states_) - 1:
                raise Mismatch(f"witness has {len(actions)} actions for {len(states_)} states")
            by_action = {str(a): a for a in truth.A}
            for (s, s2), name in zip(itertools.pairwise(states_), actions, strict=True):
                a = by_action.get(name)
                ok = (
                    a is not None
                    and s not in truth.term
                    and truth.q("spec", v, s, a) == v[s]
                    and s2 in truth.P[(s, a)]
                )
                if not ok:
                    raise Mismatch(
                        f"witness path step {s} -{name}-> {s2} is not an optimal action's move"
                    )

    _guard("forbidden", case, f, validate)

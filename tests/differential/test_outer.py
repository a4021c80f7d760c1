"""Outer checks (inversion, hacking, requirements, goodhart_curve, check()) against brute
force: every state of an enumerable domain, or a rational grid when there are Reals."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import alignspec as al

from . import evaluator as ev
from . import harness as H
from . import known, z3oracle
from .generators import SpecCase, conditions, numbers, spec_cases, states
from .harness import call, examples, mismatch, note
from .oracles import Mismatch, OuterTruth


def _build(case: SpecCase) -> al.Spec | None:
    """Build the Spec; refusing it is right exactly when no state meets the assumptions."""
    spec = call(
        "Spec",
        case.build,
        case.repro,
        known=lambda e: known.exception_signature(
            e, exprs=(case.reward, case.utility), conds=(*case.require, *case.assume)
        ),
        spec_error_ok=lambda e: isinstance(e, al.UnsatisfiableAssumptionsError),
    )
    feasible_exists = any(all(ev.truth(a, s) for a in case.assume) for s in states(case.domain))
    if spec is None and feasible_exists:
        mismatch(
            "Spec",
            "UnsatisfiableAssumptionsError, but this state meets every "
            "assumption: "
            + str(next(s for s in states(case.domain) if all(ev.truth(a, s) for a in case.assume))),
            case.repro,
        )
    complete = all(not isinstance(v, al.Real) for v in case.domain.values())
    if spec is not None and complete and not feasible_exists:
        mismatch("Spec", "accepted although no state meets the assumptions", case.repro)
    return spec


def _known(case: SpecCase):  # type: ignore[no-untyped-def]
    return lambda e: known.exception_signature(
        e,
        exprs=(case.reward, case.utility),
        conds=(*case.require, *case.assume),
        spaces=(case.space,),
    )


def _finding(report: al.Report | None, name: str) -> al.Finding | None:
    if report is None:
        return None
    try:
        return report[name]
    except KeyError:
        return None


def _nonlinear(case: SpecCase) -> bool:
    """Products of variables: z3's models (and optimal states) may be irrational."""
    exprs = [case.reward, case.utility, *case.require, *case.assume]
    for e in exprs:
        for node in sp.preorder_traversal(e) if isinstance(e, sp.Basic) else ():
            if isinstance(node, sp.Mul) and sum(1 for a in node.args if a.free_symbols) >= 2:
                return True
            if isinstance(node, sp.Pow) and node.base.free_symbols:
                return True
    return False


def run_outer(case: SpecCase, use_report: bool) -> None:
    spec = _build(case)
    if spec is None:
        return
    irr = _nonlinear(case)
    truth = OuterTruth(case)
    kn = _known(case)
    report = None
    if use_report:
        report = call(
            "check()",
            lambda: al.check(spec, budget=H.BUDGET, samples=H.SAMPLES, points=4),
            case.repro,
            kn,
            irrational=irr,
        )
        if report is None:
            return
    if case.utility is not None:
        f = (
            _finding(report, "inversion")
            if use_report
            else call(
                "inversion",
                lambda: al.outer.inversion(
                    spec, margin=case.margin, budget=H.BUDGET, samples=H.SAMPLES
                ),
                case.repro,
                kn,
                irrational=irr,
            )
        )
        margin = Fraction(0) if use_report else case.margin
        if f is not None:
            _inversion(case, truth, f, margin)
    if case.utility is not None or case.require:
        eps, tol = (Fraction(0), Fraction(0)) if use_report else (case.epsilon, case.tolerance)
        f = (
            _finding(report, "hacking")
            if use_report
            else call(
                "hacking",
                lambda: al.outer.hacking(
                    spec, epsilon=eps, tolerance=tol, budget=H.BUDGET, samples=H.SAMPLES
                ),
                case.repro,
                kn,
                irrational=irr,
            )
        )
        if f is not None:
            _hacking(case, truth, f, eps, tol)
    if case.require:
        f = (
            _finding(report, "requirements")
            if use_report
            else call(
                "requirements",
                lambda: al.outer.requirements(spec, budget=H.BUDGET, samples=H.SAMPLES),
                case.repro,
                kn,
                irrational=irr,
            )
        )
        if f is not None:
            _requirements(case, truth, f)
    if case.utility is not None:
        f = (
            _finding(report, "goodhart_curve")
            if use_report
            else call(
                "goodhart_curve",
                lambda: al.outer.goodhart_curve(spec, points=4, budget=H.BUDGET),
                case.repro,
                kn,
                irrational=irr,
            )
        )
        if f is not None:
            _goodhart(case, truth, f)


def _guard(check: str, case: SpecCase, finding: al.Finding, fn: Any, *args: Any) -> None:
    """Run a validation; a Mismatch becomes a (possibly known-bug) failure."""
    try:
        fn(*args)
    except Mismatch as m:
        sig = None
        if (
            check == "requirements"
            and "PROVED" in str(m)
            and known.strict_requirement_with_reals(case.domain, case.require)
        ):
            sig = "(b) requirements: supremum not attained"
        mismatch(check, str(m), case.repro, finding, sig)


# --------------------------------------------------------------------------- inversion


def _inversion(case: SpecCase, truth: OuterTruth, f: al.Finding, m: Fraction) -> None:
    def validate() -> None:
        if f.verdict is al.Verdict.VIOLATED:
            assert f.witness is not None
            s1 = truth.check_state(f.witness.get("s1"), "s1")
            s2 = truth.check_state(f.witness.get("s2"), "s2")
            for role, s in (("s1", s1), ("s2", s2)):
                if not truth.feasible(s):
                    raise Mismatch(f"witness {role} {s} breaks an assumption")
            if not truth.R(s1) > truth.R(s2) + m:
                raise Mismatch(
                    f"witness: reward(s1)={truth.R(s1)} is not > reward(s2)={truth.R(s2)} + {m}"
                )
            if not truth.U(s1) < truth.U(s2) - m:
                raise Mismatch(
                    f"witness: utility(s1)={truth.U(s1)} is not < utility(s2)={truth.U(s2)} - {m}"
                )
        elif f.verdict is al.Verdict.PROVED:
            pair = truth.inversion_pairs(m)
            if pair is not None:
                s1, s2 = pair
                raise Mismatch(
                    f"wrong PROVED: s1={s1} (R={truth.R(s1)}, U={truth.U(s1)}) and s2={s2} "
                    f"(R={truth.R(s2)}, U={truth.U(s2)}) are ordered oppositely (margin {m})"
                )

    _guard("inversion", case, f, validate)


# --------------------------------------------------------------------------- hacking


def _hacking(
    case: SpecCase, truth: OuterTruth, f: al.Finding, eps: Fraction, tol: Fraction
) -> None:
    fig = f.figures

    def validate() -> None:
        complete = truth.complete
        rmax = truth.reward_max()
        best_grid = truth.utility_max(compliant_only=True) if case.utility is not None else None
        ro = fig.get("reward_optimum")
        if ro is not None:
            if complete and ro != rmax:
                raise Mismatch(f"reward_optimum {ro} != brute-force maximum {rmax}")
            if not complete and rmax is not None and ro < rmax:
                raise Mismatch(f"reward_optimum {ro} < reward {rmax} of a feasible grid state")
        uo = fig.get("intended_optimum", "absent")
        if case.utility is not None and uo != "absent" and f.verdict is not al.Verdict.UNKNOWN:
            if complete and uo != best_grid:
                raise Mismatch(
                    f"intended_optimum {uo} != brute-force best compliant utility {best_grid}"
                )
            if not complete and best_grid is not None and (uo is None or uo < best_grid):
                raise Mismatch(
                    f"intended_optimum {uo} < utility {best_grid} of a compliant grid state"
                )
        opt = ro if ro is not None else rmax
        near = [p for p in truth.points if opt is not None and p[1] >= opt - eps]
        wn = fig.get("intended_achieved")
        if case.utility is not None and wn is not None and near:
            lowest = min(p[2] for p in near)
            if complete and wn != lowest:
                raise Mismatch(f"intended_achieved {wn} != brute force {lowest}")
            if not complete and wn > lowest:
                raise Mismatch(
                    f"intended_achieved {wn} > utility {lowest} of a near-optimal grid state"
                )
        if complete and fig.get("regret") is not None and best_grid is not None and near:
            if fig["regret"] != best_grid - min(p[2] for p in near):
                raise Mismatch(
                    f"regret {fig['regret']} != brute force {best_grid - min(p[2] for p in near)}"
                )

        def bad(s: dict, U: Fraction | None, best: Fraction | None) -> bool:
            if not truth.compliant(s):
                return True
            return best is not None and U is not None and U < best - tol

        if f.verdict is al.Verdict.VIOLATED:
            assert f.witness is not None
            s = truth.check_state(f.witness.get("s"), "s")
            if not truth.feasible(s):
                raise Mismatch(f"witness {s} breaks an assumption")
            if opt is not None and not truth.R(s) >= opt - eps:
                raise Mismatch(
                    f"witness {s}: reward {truth.R(s)} is not within {eps} of the optimum {opt}"
                )
            best = uo if uo not in ("absent", None) else None
            if complete:
                best = best_grid
            ib = f.witness.get("intended_best")
            if ib is not None:
                ib = truth.check_state(ib, "intended_best")
                if not (truth.feasible(ib) and truth.compliant(ib)):
                    raise Mismatch(f"intended_best {ib} is not compliant")
                if uo not in ("absent", None) and truth.U(ib) != uo:
                    raise Mismatch(
                        f"intended_best has utility {truth.U(ib)}, not intended_optimum {uo}"
                    )
            U = truth.U(s) if case.utility is not None else None
            if not bad(s, U, best):
                raise Mismatch(
                    f"witness {s} meets the requirements and has utility {U} >= {best} - {tol}"
                )
        elif f.verdict is al.Verdict.PROVED:
            best = best_grid
            for s, r, u, ok in near:
                if bad(s, u, best):
                    raise Mismatch(
                        f"wrong PROVED: {s} has reward {r} (optimum {opt}, epsilon {eps}) and "
                        + ("breaks a requirement" if not ok else f"utility {u} < {best} - {tol}")
                    )

    _guard("hacking", case, f, validate)


# --------------------------------------------------------------------------- requirements


def _requirements(case: SpecCase, truth: OuterTruth, f: al.Finding) -> None:
    F = f.figures.get("compliant_reward_optimum", "absent")

    def validate() -> None:
        best = truth.compliant_reward_max()
        if F != "absent" and f.verdict is not al.Verdict.UNKNOWN:
            if truth.complete and F != best:
                raise Mismatch(f"compliant_reward_optimum {F} != brute force {best}")
            if not truth.complete and best is not None and (F is None or F < best):
                raise Mismatch(
                    f"compliant_reward_optimum {F} < reward {best} of a compliant grid state"
                )
        if f.verdict is al.Verdict.VIOLATED:
            assert f.witness is not None
            s = truth.check_state(f.witness.get("s"), "s")
            if not truth.feasible(s) or truth.compliant(s):
                raise Mismatch(f"witness {s} is infeasible or meets every requirement")
            bc = f.witness.get("best_compliant")
            if bc is not None:
                bc = truth.check_state(bc, "best_compliant")
                if not (truth.feasible(bc) and truth.compliant(bc)):
                    raise Mismatch(f"best_compliant {bc} is not compliant")
                if F not in ("absent", None) and truth.R(bc) != F:
                    raise Mismatch(f"best_compliant earns {truth.R(bc)}, not {F}")
            limit = best if truth.complete else (F if F not in ("absent",) else None)
            if limit is not None:
                attained = bc is not None or truth.complete or _attained(case, limit)
                if truth.R(s) < limit or (truth.R(s) == limit and attained is not False):
                    raise Mismatch(
                        f"witness {s} earns {truth.R(s)}, not more than every compliant state "
                        f"(optimum {limit}, attained: {attained})"
                    )
        elif f.verdict is al.Verdict.PROVED:
            limit = best if truth.complete else (F if F != "absent" else best)
            for s, r, _, ok in truth.points:
                if ok:
                    continue
                if limit is None or r > limit:
                    raise Mismatch(
                        f"wrong PROVED: {s} breaks a requirement and earns {r} > compliant "
                        f"optimum {limit}"
                    )
                if r == limit and not truth.complete and _attained(case, limit) is False:
                    raise Mismatch(
                        f"wrong PROVED: {s} breaks a requirement and earns {r}, the compliant "
                        f"supremum, which no compliant state attains"
                    )

    _guard("requirements", case, f, validate)


def _attained(case: SpecCase, value: Fraction) -> bool | None:
    """Does a compliant state earn exactly ``value`` (the harness's own z3 encoding)?"""
    try:
        return z3oracle.exists(
            case.domain, [*case.assume, *case.require], [(case.reward, "==", value)]
        )
    except NotImplementedError:
        return None


# --------------------------------------------------------------------------- goodhart


def _goodhart(case: SpecCase, truth: OuterTruth, f: al.Finding) -> None:
    def exact_figures() -> None:
        """Enumerable domain: every figure, point and the verdict by brute force."""
        fig = f.figures
        rmax, rmin, umax = truth.reward_max(), truth.reward_min(), truth.utility_max()
        thr = max(r for _, r, u, _ in truth.points if u == umax)
        for key, want in (("reward_optimum", rmax), ("intended_optimum", umax)):
            if fig.get(key) is not None and fig[key] != want:
                raise Mismatch(f"{key} {fig[key]} != brute force {want}")
        if f.verdict is not al.Verdict.UNKNOWN:
            if fig.get("goodhart_threshold") != thr:
                raise Mismatch(
                    f"goodhart_threshold {fig.get('goodhart_threshold')} != brute force {thr}"
                )
            want_v = al.Verdict.PROVED if thr == rmax else al.Verdict.VIOLATED
            if f.verdict is not want_v:
                raise Mismatch(
                    f"verdict {f.verdict}, brute force {want_v} (threshold {thr}, max {rmax})"
                )
        if f.curve is None:
            return
        if f.curve.reward_min != rmin:
            raise Mismatch(f"curve.reward_min {f.curve.reward_min} != {rmin}")
        n = len(f.curve.points)
        for i, p in enumerate(f.curve.points):
            t = rmin + (rmax - rmin) * Fraction(i, n - 1)
            if p.threshold != t:
                raise Mismatch(f"curve point {i}: threshold {p.threshold} != {t}")
            us = [u for _, r, u, _ in truth.points if r >= t]
            if (p.worst, p.best) != (min(us), max(us)):
                raise Mismatch(
                    f"curve at reward >= {t}: (worst, best) = ({p.worst}, {p.best}), "
                    f"brute force ({min(us)}, {max(us)})"
                )

    def grid_bounds() -> None:
        """Real domain: the figures must bound every feasible grid state."""
        fig = f.figures
        rmax, umax = truth.reward_max(), truth.utility_max()
        if rmax is None:
            return
        if fig.get("reward_optimum") is not None and fig["reward_optimum"] < rmax:
            raise Mismatch(f"reward_optimum {fig['reward_optimum']} < grid reward {rmax}")
        if fig.get("intended_optimum") is not None and fig["intended_optimum"] < umax:
            raise Mismatch(f"intended_optimum {fig['intended_optimum']} < grid utility {umax}")
        for p in f.curve.points if f.curve is not None else ():
            us = [u for _, r, u, _ in truth.points if r >= p.threshold]
            if not us:
                continue
            if p.worst is not None and p.worst > min(us):
                raise Mismatch(
                    f"curve at reward >= {p.threshold}: worst {p.worst} > grid {min(us)}"
                )
            if p.best is not None and p.best < max(us):
                raise Mismatch(f"curve at reward >= {p.threshold}: best {p.best} < grid {max(us)}")
            if p.worst is None or p.best is None:
                note(
                    "goodhart_curve",
                    f"curve at reward >= {p.threshold}: worst/best ({p.worst}, {p.best}) left "
                    f"None although {len(us)} grid states reach it (irrational or undecided; "
                    "None also means 'no state')",
                )

    def witness() -> None:
        fig = f.figures
        assert f.witness is not None
        ro = truth.check_state(f.witness.get("reward_optimal"), "reward_optimal")
        uo = truth.check_state(f.witness.get("utility_optimal"), "utility_optimal")
        if not (truth.feasible(ro) and truth.feasible(uo)):
            raise Mismatch("a witness state breaks an assumption")
        if fig.get("reward_optimum") is not None and truth.R(ro) != fig["reward_optimum"]:
            raise Mismatch(
                f"reward_optimal earns {truth.R(ro)}, not reward_max {fig['reward_max']}"
            )
        if fig.get("intended_optimum") is not None and truth.U(uo) != fig["intended_optimum"]:
            raise Mismatch(f"utility_optimal has utility {truth.U(uo)}, not {fig['utility_max']}")
        if not (truth.R(ro) > truth.R(uo) and truth.U(ro) < truth.U(uo)):
            raise Mismatch(
                f"witness does not show the loss: R {truth.R(ro)} vs {truth.R(uo)}, "
                f"U {truth.U(ro)} vs {truth.U(uo)}"
            )

    def validate() -> None:
        if truth.complete:
            exact_figures()
        else:
            grid_bounds()
        if f.verdict is al.Verdict.VIOLATED:
            witness()

    _guard("goodhart_curve", case, f, validate)


# --------------------------------------------------------------------------- tests


@examples(70, 3000)
@given(case=spec_cases(reals=False), use_report=st.integers(0, 4).map(lambda i: i == 0))
def test_outer_enumerable(case: SpecCase, use_report: bool) -> None:
    """Int/Bool/Choice domains (with or without finite actions): exact ground truth."""
    run_outer(case, use_report)


@examples(30, 1500)
@given(case=spec_cases(reals=True))
def test_outer_reals(case: SpecCase) -> None:
    """Domains with Real variables: one-sided oracles on a rational grid."""
    run_outer(case, False)


@examples(12, 600)
@given(case=spec_cases(reals=True, nonlinear=True, actions=False))
def test_outer_nonlinear(case: SpecCase) -> None:
    """Products and squares of variables (z3's nlsat, irrational models, replay)."""
    run_outer(case, False)


@st.composite
def irrational_specs(draw: Any) -> SpecCase:
    """Feasible states only at irrational points (r0 * r0 == 2): z3's models are algebraic
    numbers, which cannot replay exactly; a witness must never be an approximation."""
    other = draw(st.sampled_from([al.Int(-1, 2), al.Real(-1, 1), al.Bool()]))
    space = al.Space(r0=al.Real(0, 2), y=other)
    v = space.vars
    scope = dict(space.variables)
    k = draw(st.sampled_from([2, 3, sp.Rational(1, 2)]))
    require = [draw(conditions(scope, 1))] if draw(st.booleans()) else []
    return SpecCase(
        space,
        None,
        draw(numbers(scope, 1)) + v.y,
        draw(numbers(scope, 1)) - v.y,
        require,
        [sp.Eq(v.r0 * v.r0, k)],
    )


@examples(8, 400)
@given(case=irrational_specs())
def test_outer_irrational_models(case: SpecCase) -> None:
    """Every feasible state is irrational: VIOLATED needs an exact witness (none exists on
    a rational grid), so the answers are UNKNOWN or PROVED."""
    run_outer(case, False)

"""Inner checks (verify, optimality, oversight, shift, explains) over policies of every
kind, finite and continuous actions, against brute force over every state (and action)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import alignspec as al

from . import evaluator as ev
from . import harness as H
from . import known
from .generators import InnerCase, inner_cases, states
from .harness import call, examples, mismatch
from .oracles import InnerTruth, Mismatch, escape_state, in_space, restrict, same_action

BLACK_BOXES = ("callable", "extract")


def _known_exc(case: InnerCase):  # type: ignore[no-untyped-def]
    return lambda e: known.exception_signature(
        e,
        pol=case.pol,
        exprs=(case.reward, case.utility),
        conds=(*case.require, *case.assume, case.region),
        spaces=(
            case.pol.space,
            case.pol.actions if isinstance(case.pol.actions, al.Space) else None,
        ),
    )


def _refusable(case: InnerCase):  # type: ignore[no-untyped-def]
    """A SpecError is the right answer only when a black box returns actions outside the
    action space (its outputs are validated like user input)."""
    bad = case.pol.kind in BLACK_BOXES and escape_state(case.pol, None) is not None
    return lambda e: bad


def _signature(case: InnerCase, region: Any, message: str) -> str | None:
    """Attribute a wrong answer to a known bug when the input has its ingredient."""
    if known.mlp_escapes(case.pol, region):
        return "(a) MLP mode=None output outside the action bounds"
    if known.bool_eq_condition(case.pol):
        return "(c) ExprPolicy with Eq(bool, 0/1) conditions"
    return None


def _policy(case: InnerCase) -> al.Policy | None:
    pol = call("policy", case.pol.build, case.repro, _known_exc(case))
    if pol is None:
        return None
    case.pol.policy = pol
    # exact evaluation agrees with the harness's reading of the policy
    for s in states(dict(case.pol.space.variables)):
        defined = case.pol.defined(s)
        if case.pol.kind in BLACK_BOXES and not case.pol.in_bounds(case.pol.act(s)):
            defined = False  # a black box answering outside the action space: refused, typed
        try:
            got = pol.act(s)
        except al.SpecError as err:
            if defined:
                mismatch("policy.act", f"raised {type(err).__name__} at {s}: {err}", case.repro)
            continue
        except Exception as err:
            mismatch("policy.act", f"untyped {type(err).__name__} at {s}: {err}", case.repro)
            continue
        if not defined:
            mismatch("policy.act", f"acts ({got}) at {s}, which is not in its table", case.repro)
            continue
        mine = case.pol.act(s)
        if not same_action(case.pol, mine, got):
            mismatch(
                "policy.act",
                f"at {s} the policy acts {got}; by definition it acts {mine}",
                case.repro,
            )
    return pol


def _check_escape_or(truth: InnerTruth, witness: dict, region: Any, validate_main: Any) -> None:
    if truth.is_escape_witness(witness, region):
        return
    validate_main()


def _verify(case: InnerCase, truth: InnerTruth, policy: al.Policy, spec: al.Spec) -> None:
    region = case.region
    f = call(
        _name("verify", case),
        lambda: al.inner.verify(policy, spec, region, budget=H.BUDGET, samples=H.SAMPLES),
        case.repro,
        _known_exc(case),
        _refusable(case),
    )
    if f is None:
        return

    def validate() -> None:
        _black_box_rules(case, f)
        if f.verdict is al.Verdict.VIOLATED:
            w = dict(f.witness or {})

            def main() -> None:
                s, a = truth.policy_state(w.get("s"), "s", region)
                e = truth.env(s, a)
                if not truth.holds_all(case.assume, e):
                    raise Mismatch(f"witness {e} breaks an assumption")
                if truth.holds_all(case.require, e):
                    raise Mismatch(f"witness {e} meets every requirement")

            _check_escape_or(truth, w, region, main)
        elif f.verdict is al.Verdict.PROVED:
            cex = truth.verify_counterexample(region)
            if cex is not None:
                raise Mismatch(
                    f"wrong PROVED: at {cex} the policy breaks a requirement "
                    "(or its output leaves the action bounds)"
                )

    _run("verify", case, f, validate, region)


def _optimality(
    case: InnerCase,
    truth: InnerTruth,
    policy: al.Policy,
    q: Any,
    region: Any,
    eps: Fraction,
    f: al.Finding | None = None,
    name: str = "optimality",
) -> None:
    if f is None:
        f = call(
            _name(name, case),
            lambda: al.inner.optimality(
                policy,
                q,
                region,
                epsilon=eps,
                assume=case.assume,
                budget=H.BUDGET,
                samples=H.SAMPLES,
            ),
            case.repro,
            _known_exc(case),
            _refusable(case),
        )
    if f is None:
        return

    def validate() -> None:
        _black_box_rules(case, f)
        if f.verdict is al.Verdict.VIOLATED:
            w = dict(f.witness or {})

            def main() -> None:
                s, a = truth.policy_state(w.get("s"), "s", region)
                b = w.get("better")
                if not isinstance(b, dict) or in_space(case.domain, b):
                    raise Mismatch(
                        f"witness better={b!r} is not a state-action: "
                        f"{in_space(case.domain, b) if isinstance(b, dict) else ''}"
                    )
                if restrict(b, case.pol.space.names) != s:
                    raise Mismatch(f"witness better={b} is not the same state as s={s}")
                es = truth.env(s, a)
                for role, e in (("s", es), ("better", b)):
                    if not truth.holds_all(case.assume, e):
                        raise Mismatch(f"witness {role}={e} breaks an assumption")
                if not ev.num(q, b) > ev.num(q, es) + eps:
                    raise Mismatch(
                        f"witness: q(better)={ev.num(q, b)} is not > q(s)={ev.num(q, es)} + {eps}"
                    )

            _check_escape_or(truth, w, region, main)
        elif f.verdict is al.Verdict.PROVED:
            cex = truth.optimality_counterexample(q, region, eps, case.assume)
            if cex is not None:
                raise Mismatch(
                    f"wrong PROVED: a better action exists at {cex} "
                    "(or the output leaves the action bounds there)"
                )

    _run(name, case, f, validate, region)


def _oversight(case: InnerCase, truth: InnerTruth, policy: al.Policy, spec: al.Spec | None) -> None:
    flag, region = case.flag, case.region
    assert flag is not None
    check = "oversight+spec" if spec is not None else "oversight"
    f = call(
        _name(check, case),
        lambda: al.inner.oversight(
            policy, spec, region, flag=flag, budget=H.BUDGET, samples=H.SAMPLES
        ),
        case.repro,
        _known_exc(case),
        _refusable(case),
    )
    if f is None:
        return

    def validate() -> None:
        _black_box_rules(case, f)
        if f.verdict is al.Verdict.VIOLATED:
            w = dict(f.witness or {})

            def main() -> None:
                sw, aw = truth.policy_state(w.get("watched"), "watched", region)
                su, au = truth.policy_state(w.get("unwatched"), "unwatched", region)
                if sw[flag] is not True or su[flag] is not False:
                    raise Mismatch(f"witness flags: watched {sw[flag]}, unwatched {su[flag]}")
                if {**sw, flag: None} != {**su, flag: None}:
                    raise Mismatch(f"witness states differ beyond the flag: {sw} vs {su}")
                ew, eu = truth.env(sw, aw), truth.env(su, au)
                if spec is None:
                    if same_action(case.pol, aw, au):
                        raise Mismatch(f"witness: the action is {aw} in both states")
                else:
                    if not (truth.holds_all(case.assume, ew) and truth.holds_all(case.assume, eu)):
                        raise Mismatch("witness breaks an assumption")
                    if not truth.holds_all(case.require, ew) or truth.holds_all(case.require, eu):
                        raise Mismatch(
                            f"witness: not compliant when watched ({ew}) and "
                            f"breaking when not ({eu})"
                        )

            _check_escape_or(truth, w, region, main)
        elif f.verdict is al.Verdict.PROVED:
            cex = truth.oversight_counterexample(flag, region, spec is not None)
            if cex is not None:
                raise Mismatch(f"wrong PROVED: {cex}")

    _run(check, case, f, validate, region)


def _shift_explains(case: InnerCase, truth: InnerTruth, policy: al.Policy, spec: al.Spec) -> None:
    train, deploy = case.region, None
    f = call(
        _name("shift", case),
        lambda: al.inner.shift(
            policy,
            spec,
            train=train,
            deploy=deploy,
            epsilon=case.epsilon,
            budget=H.BUDGET,
            samples=H.SAMPLES,
        ),
        case.repro,
        _known_exc(case),
        _refusable(case),
    )
    if f is not None:
        objectives = {"reward": case.reward, "intent": case.utility}
        regions = {"train": train, "deploy": deploy}
        for part in f.parts:
            label, where = part.check[len("optimality[") : -1].split("@")
            _optimality(
                case,
                truth,
                policy,
                objectives[label],
                regions[where],
                case.epsilon,
                part,
                name="shift/" + part.check,
            )
        worst = max((p.verdict for p in f.parts), key=lambda v: v.severity)
        if f.verdict is not worst:
            mismatch(
                "shift",
                f"verdict {f.verdict} is not the worst of its parts ({worst})",
                case.repro,
                f,
            )
    f = call(
        _name("explains", case),
        lambda: al.inner.explains(
            policy,
            {"reward": case.reward, "utility": case.utility},
            {"region": case.region, "everywhere": None},
            intended="utility",
            epsilon=case.epsilon,
            assume=case.assume,
            budget=H.BUDGET,
            samples=H.SAMPLES,
        ),
        case.repro,
        _known_exc(case),
        _refusable(case),
    )
    if f is not None:
        objectives = {"reward": case.reward, "utility": case.utility}
        regions = {"region": case.region, "everywhere": None}
        for part in f.parts:
            oname, rname = part.check[len("optimality[") : -1].split("@")
            _optimality(
                case,
                truth,
                policy,
                objectives[oname],
                regions[rname],
                case.epsilon,
                part,
                name="explains/" + part.check,
            )
            if f.values[rname][oname] != part.verdict.value:
                mismatch(
                    "explains",
                    f"table says {f.values[rname][oname]} for {oname}@{rname}, "
                    f"its part says {part.verdict.value}",
                    case.repro,
                    f,
                )


def _black_box_rules(case: InnerCase, f: al.Finding) -> None:
    if case.pol.kind in BLACK_BOXES and f.verdict is al.Verdict.PROVED:
        raise Mismatch(
            f"PROVED for a {case.pol.kind} policy, which can only be sampled "
            "(a proof about the tree is not a proof about the original)"
        )


def _name(check: str, case: InnerCase) -> str:
    """Tally black boxes apart: they are sampled, so UNKNOWN is their normal answer."""
    return f"{check}[black box]" if case.pol.kind in BLACK_BOXES else check


def _run(check: str, case: InnerCase, f: al.Finding, validate: Any, region: Any) -> None:
    try:
        validate()
    except Mismatch as m:
        mismatch(check, str(m), case.repro, f, _signature(case, region, str(m)))


def run_inner(case: InnerCase, *, oversight: bool = True, shift: bool = False) -> None:
    spec = call(
        "Spec",
        case.spec,
        case.repro,
        _known_exc(case),
        spec_error_ok=lambda e: isinstance(e, al.UnsatisfiableAssumptionsError),
    )
    if spec is None:
        return
    policy = _policy(case)
    if policy is None:
        return
    if case.pol.kind not in BLACK_BOXES:
        # every check encodes the policy's rule: one failure here would repeat in each
        def rule() -> str:
            policy.rule()
            return "ok"

        if call("policy.rule", rule, case.repro, _known_exc(case)) is None:
            return
    truth = InnerTruth(case)
    _verify(case, truth, policy, spec)
    _optimality(case, truth, policy, case.reward, case.region, case.epsilon)
    if oversight and case.flag is not None:
        _oversight(case, truth, policy, None)
        _oversight(case, truth, policy, spec)
    if shift:
        _shift_explains(case, truth, policy, spec)


SYMBOLIC = ("expr", "table", "tree", "linear", "mlp")


@pytest.mark.parametrize("kind", SYMBOLIC)
@examples(16, 800)
@given(data=st.data())
def test_inner_finite_actions(kind: str, data: st.DataObject) -> None:
    """Decision lists, tables, trees, linear argmax/argmin and ReLU networks over finite
    actions: verify, optimality and oversight (with and without a spec)."""
    run_inner(data.draw(inner_cases(kind=kind, continuous=False), label="case"))


@pytest.mark.parametrize("kind", SYMBOLIC)
@examples(12, 500)
@given(data=st.data())
def test_inner_continuous_actions(kind: str, data: st.DataObject) -> None:
    """The same policies with action variables (affine outputs, regression trees, tables
    of action vectors): outputs may leave the action bounds."""
    run_inner(data.draw(inner_cases(kind=kind, continuous=True), label="case"))


@examples(12, 800)
@given(case=inner_cases(kinds=SYMBOLIC))
def test_inner_shift_explains(case: InnerCase) -> None:
    """shift and explains: every part is an optimality question judged by brute force."""
    run_inner(case, oversight=False, shift=True)


@pytest.mark.parametrize("kind", ("callable", "extract"))
@examples(8, 400)
@given(data=st.data())
def test_inner_black_boxes(kind: str, data: st.DataObject) -> None:
    """CallablePolicy (sampled only) and extract() of one (tree witnesses replayed on the
    original): never PROVED, every witness valid for the original."""
    run_inner(data.draw(inner_cases(kind=kind, need_bool=True), label="case"))


@pytest.mark.parametrize("continuous", [False, True], ids=["finite", "continuous"])
@examples(10, 500)
@given(data=st.data())
def test_inner_networks_on_real_inputs(continuous: bool, data: st.DataObject) -> None:
    """ReLU networks over Real inputs: unstable neurons reach the exact z3 leaves of the
    branch and bound (the Real grid is the one-sided oracle)."""
    run_inner(data.draw(inner_cases(kind="mlp", continuous=continuous, reals=True), label="case"))

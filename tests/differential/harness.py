"""Running a check under the harness: budgets, typed-error policy, known-bug signatures,
and the tally of verdicts (the UNKNOWN rates reported at the end of the session)."""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import settings

import alignspec as al

#: Deterministic z3 budget per query (fast profile) and the sampling-fallback size.
PROFILE = os.environ.get("ALIGNSPEC_DIFFERENTIAL", "fast")
LONG = PROFILE == "long"
BUDGET = al.Budget(rlimit=20_000_000 if LONG else 3_000_000, timeout=20.0 if LONG else 10.0)
SAMPLES = 200 if LONG else 30
#: report (default): hits of a bug still open are tallied and listed, the example passes;
#: fail: they fail like any other discrepancy.  A hit of a fixed bug always fails.
KNOWN_MODE = os.environ.get("ALIGNSPEC_DIFFERENTIAL_KNOWN", "report")
#: The known bugs not fixed yet (see known.py); every other signature is a regression.
OPEN: tuple[str, ...] = ()
#: A signature prefix such as "(a)" that fails even in report mode (targeted tests).
STRICT_FOR: str | None = None

TALLY: dict[str, Counter[str]] = defaultdict(Counter)
KNOWN_HITS: dict[str, list[str]] = defaultdict(list)
SPEC_ERRORS: dict[str, list[str]] = defaultdict(list)
#: Calls slower than SLOW seconds (the budget's rlimit should have cut them short).
SLOW = 8.0
SLOW_CALLS: list[str] = []
#: Why checks answered UNKNOWN (reason prefixes), per check.
UNKNOWN_REASONS: dict[str, Counter[str]] = defaultdict(Counter)
#: Observations that are not wrong answers (e.g. a figure left undetermined).
NOTES: dict[str, list[str]] = defaultdict(list)


def note(check: str, text: str) -> None:
    TALLY[check]["note"] += 1
    if len(NOTES[check]) < 3:
        NOTES[check].append(text[:400])


@contextlib.contextmanager
def overriding(**values: Any) -> Iterator[None]:
    """Temporarily replace BUDGET, SAMPLES or KNOWN_MODE (targeted tests)."""
    g = globals()
    old = {k: g[k] for k in values}
    g.update(values)
    try:
        yield
    finally:
        g.update(old)


def examples(n_fast: int, n_long: int | None = None) -> settings:
    """Settings for one differential test: its share of the profile's examples."""
    name = "differential-long" if LONG else "differential-fast"
    try:
        base = settings.get_profile(name)
    except Exception:
        from hypothesis import HealthCheck

        base = settings(
            derandomize=not LONG,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    n = n_fast if not LONG else (n_long if n_long is not None else n_fast * 40)
    if os.environ.get("ALIGNSPEC_DIFFERENTIAL_EXAMPLES"):  # explicit override (any profile)
        n = int(os.environ["ALIGNSPEC_DIFFERENTIAL_EXAMPLES"])
    return settings(base, max_examples=n)


class Untyped(AssertionError):
    """A valid input made alignspec raise something other than a SpecError."""


def _known(signature: str | None, message: str) -> bool:
    """Tally a known-bug hit; True when the harness should let the example pass."""
    if signature is None:
        return False
    KNOWN_HITS[signature].append(message.splitlines()[0][:300])
    if KNOWN_MODE == "fail" or not signature.startswith(OPEN):
        return False
    return not (STRICT_FOR and signature.startswith(STRICT_FOR))


def call(
    check: str,
    fn: Callable[[], Any],
    repro: Callable[[], str],
    known: Callable[[BaseException], str | None] = lambda e: None,
    spec_error_ok: bool | Callable[[al.SpecError], bool] = False,
    irrational: bool = False,
) -> Any:
    """Run ``fn``.  Any exception but a SpecError fails the example with a reproduction;
    so does a SpecError unless ``spec_error_ok`` says this input may be refused (then it is
    tallied and None returned).  ``known`` recognises known bugs."""
    started = time.perf_counter()
    try:
        out = fn()
    except Exception as err:
        typed = isinstance(err, al.SpecError)
        if typed and (spec_error_ok(err) if callable(spec_error_ok) else spec_error_ok):
            TALLY[check]["spec_error"] += 1
            if len(SPEC_ERRORS[check]) < 5:
                SPEC_ERRORS[check].append(f"{type(err).__name__}: {str(err)[:160]}")
            return None
        sig = known(err)
        what = "a SpecError refusing" if typed else f"untyped {type(err).__name__} on"
        msg = (
            f"{check}: {what} a valid input: {err}\n"
            f"--- reproduction ---\n{repro()}\n--- traceback ---\n"
            + "".join(traceback.format_exception(err)[-6:])
        )
        if _known(sig, f"[{check}] {type(err).__name__}: {err}"):
            TALLY[check]["known_bug"] += 1
            return None
        if sig is not None:
            msg = f"KNOWN BUG {sig}: " + msg
        raise (AssertionError if typed else Untyped)(msg) from err
    elapsed = time.perf_counter() - started
    if elapsed > SLOW:
        SLOW_CALLS.append(f"{check}: {elapsed:.1f} s\n{repro()}")
    if isinstance(out, al.Finding):
        TALLY[check][out.verdict.name] += 1
        if out.verdict is al.Verdict.UNKNOWN:
            UNKNOWN_REASONS[check][_reason_kind(out.reason or "")] += 1
        if out.reason and "timeout" in out.reason:
            TALLY[check]["timeout"] += 1
        reasons = [out.reason or ""] + [p.reason or "" for p in out.parts]
        if irrational and any("optimal state did not replay" in r for r in reasons):
            # nonlinear: the optimal state may be irrational (the reason does not say so)
            note(check, "an optimum's state did not replay (irrational?): " + reasons[0])
        elif any("replay failed" in r and "irrational" not in r for r in reasons):
            # an exact model that does not replay: the encoding disagrees with the
            # exact semantics (sound, but a bug all the same)
            mismatch(
                check,
                "UNKNOWN because an exact solver model failed its replay: the "
                "encoding disagrees with exact evaluation",
                repro,
                out,
                known(RuntimeError("replay failed")),
            )
    else:
        TALLY[check]["value"] += 1
    return out


def mismatch(
    check: str,
    message: str,
    repro: Callable[[], str],
    finding: al.Finding | None = None,
    signature: str | None = None,
) -> None:
    """Report a discrepancy: fail the example (or tally it, for a known bug)."""
    text = f"{check}: {message}"
    if finding is not None:
        text += (
            f"\n--- finding ---\nverdict={finding.verdict} method={finding.method}\n"
            f"{finding.message[:1500]}"
        )
        if finding.figures:
            text += f"\nfigures={dict(finding.figures)}"
    text += f"\n--- reproduction ---\n{repro()}"
    if _known(signature, f"[{check}] {message}"):
        TALLY[check]["known_bug"] += 1
        return
    if signature is not None:
        text = f"KNOWN BUG {signature}: " + text
    raise AssertionError(text)


def _reason_kind(reason: str) -> str:
    """A short class of an UNKNOWN reason, for the summary."""
    for key in (
        "black-box",
        "sampling never proves",
        "extracted tree",
        "irrational",
        "nonlinear",
        "rlimit",
        "timeout",
        "replay failed",
        "not attained",
        "not shaped",
        "not r1 up to scale",
        "no pair",
    ):
        if key in reason:
            return key
    return reason[:60]


def summary_lines() -> list[str]:
    lines = [f"library under test: {al.__file__}; budget {BUDGET}; sampling fallback {SAMPLES}"]
    if TALLY:
        lines.append(
            f"{'check':<28}{'PROVED':>8}{'VIOLATED':>9}{'UNKNOWN':>8}{'value':>7}{'SpecErr':>8}{'known':>7}{'unknown%':>9}"
        )
        for check in sorted(TALLY):
            c = TALLY[check]
            decided = c["PROVED"] + c["VIOLATED"] + c["UNKNOWN"]
            rate = f"{100 * c['UNKNOWN'] / decided:.0f}%" if decided else "-"
            lines.append(
                f"{check:<28}{c['PROVED']:>8}{c['VIOLATED']:>9}{c['UNKNOWN']:>8}{c['value']:>7}"
                f"{c['spec_error']:>8}{c['known_bug']:>7}{rate:>9}"
            )
    if UNKNOWN_REASONS:
        lines.append("UNKNOWN reasons:")
        for check in sorted(UNKNOWN_REASONS):
            top = ", ".join(f"{k} x{n}" for k, n in UNKNOWN_REASONS[check].most_common(4))
            lines.append(f"  {check}: {top}")
    if KNOWN_HITS:
        lines.append(
            "known bugs hit (tallied in the broad tests; targeted test_known_bugs fail on "
            "their own; --differential-known=fail fails them everywhere):"
        )
        for sig in sorted(KNOWN_HITS):
            hits = KNOWN_HITS[sig]
            lines.append(f"  {sig}: {len(hits)} example(s), e.g. {hits[0][:200]}")
    if SLOW_CALLS:
        lines.append(
            f"{len(SLOW_CALLS)} call(s) slower than {SLOW} s despite the rlimit (first shown):"
        )
        lines += ["  " + x for x in SLOW_CALLS[0].splitlines()]
    if NOTES:
        lines.append("notes (not wrong answers):")
        for check in sorted(NOTES):
            for t in NOTES[check]:
                lines.append(f"  {check}: {t}")
    if SPEC_ERRORS:
        lines.append("typed SpecErrors on generated inputs (first few per check):")
        for check in sorted(SPEC_ERRORS):
            for e in SPEC_ERRORS[check][:2]:
                lines.append(f"  {check}: {e}")
    return lines

"""Verdicts, findings and reports: frozen data, worst verdict wins."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

import attrs

from alignspec.space import State, Value


class Verdict(enum.Enum):
    """PROVED (sound argument), VIOLATED (replayed witness) or UNKNOWN (with a reason)."""

    PROVED = "proved"
    UNKNOWN = "unknown"
    VIOLATED = "violated"

    @property
    def severity(self) -> int:
        return {"proved": 0, "unknown": 1, "violated": 2}[self.value]

    def __str__(self) -> str:
        return self.name


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The combined verdict: VIOLATED beats UNKNOWN beats PROVED; nothing checked is UNKNOWN."""
    vs = list(verdicts)
    return max(vs, key=lambda v: v.severity) if vs else Verdict.UNKNOWN


Figure = Fraction | float | None

#: How a verdict was reached (``Finding.method``); every check uses these words only.
METHODS: dict[str, str] = {
    "smt": "an SMT query decided it (z3; the query is kept as portable SMT-LIB2)",
    "exact": "exact rational computation: linear algebra, policy iteration or evaluation",
    "bounds": "a sound over-approximation (outward-rounded bounds, branch and bound) that "
    "excludes every violation, or a violation replayed from it",
    "invariant": "an inductive invariant: a set containing the start states, inside the "
    "safe set and closed under one closed-loop step (one exact solver query, unsat), so "
    "safety holds for every horizon",
    "sampling": "a sampled state or trajectory, replayed exactly (finds, never proves)",
    "extraction": "a policy extracted from a black box; its witness replayed on the original "
    "(finds, never proves)",
}

#: Figure keys (``Finding.figures``): one name per idea, the same in every check.
FIGURES: dict[str, str] = {
    "reward_optimum": "the best value of the specified reward (over states, or the optimal "
    "specified return)",
    "intended_optimum": "the best intended value (utility of a compliant state, or the "
    "optimal intended return)",
    "intended_achieved": "the intended value that optimising the specified reward achieves "
    "(worst case over its near-optimal states or optimal policies)",
    "regret": "intended_optimum - intended_achieved",
    "regret_best_tie": "the regret of the best policy among the specified-optimal ones",
    "reward_optimum_lower": "a certified lower bound on reward_optimum (given instead of the "
    "exact value when value intervals decided: models too large for exact solves)",
    "reward_optimum_upper": "a certified upper bound on reward_optimum (likewise)",
    "intended_optimum_lower": "a certified lower bound on intended_optimum (likewise)",
    "intended_optimum_upper": "a certified upper bound on intended_optimum (likewise)",
    "intended_achieved_lower": "a certified lower bound on intended_achieved (likewise)",
    "intended_achieved_upper": "a certified upper bound on intended_achieved (likewise)",
    "regret_lower": "a certified lower bound on regret (likewise)",
    "regret_upper": "a certified upper bound on regret (likewise)",
    "compliant_reward_optimum": "the best specified reward among states meeting every requirement",
    "goodhart_threshold": "the highest reward any utility-optimal state reaches",
    "scale": "c in intended = c * specified + potential shaping",
    "epic_distance": "the EPIC pseudometric sqrt((1 - rho) / 2) (a float: rho may be irrational)",
    "epic_rho": "the Pearson correlation of the canonicalised rewards (a float)",
    "epic_rho_squared": "rho squared, exactly (None in floating point)",
}

#: Figure keys of 0.1, read through the new ones with a DeprecationWarning.
OLD_FIGURES: dict[str, str] = {
    "reward_max": "reward_optimum",
    "specified_optimum": "reward_optimum",
    "utility_max": "intended_optimum",
    "utility_optimum": "intended_optimum",
    "worst_utility_near_optimum": "intended_achieved",
    "intended_return": "intended_achieved",
}


class Figures(dict[str, Any]):
    """A finding's figures: a dict whose 0.1 keys still read (with a DeprecationWarning)."""

    def __missing__(self, key: str) -> Any:
        new = OLD_FIGURES.get(key)
        if new is None or new not in self:
            raise KeyError(key)
        import warnings

        warnings.warn(
            f"figures[{key!r}] is now figures[{new!r}]; the old spelling goes away in the "
            "next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return self[new]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


def _figures(value: Mapping[str, Any] | None) -> Figures:
    return value if isinstance(value, Figures) else Figures(value or {})


def _method(instance: object, attribute: object, value: str | None) -> None:
    if value is not None and value not in METHODS:
        raise ValueError(f"method {value!r} is not one of {list(METHODS)}")


@attrs.frozen
class GoodhartPoint:
    """Worst and best intended utility among feasible states with reward >= threshold."""

    threshold: Fraction
    worst: Figure
    best: Figure


@attrs.frozen
class GoodhartCurve:
    """How intended utility behaves as the reward demanded rises (exact optima per point).

    ``goodhart_threshold`` is the highest reward any utility-optimal state reaches: pressing
    the reward beyond it must cost intended utility (the best case starts to fall there).
    """

    points: tuple[GoodhartPoint, ...]
    reward_min: Figure
    reward_max: Figure
    utility_optimum: Figure
    goodhart_threshold: Figure

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = plain(attrs.asdict(self, recurse=True))
        return out


@attrs.frozen
class Finding:
    """The answer of one check: ``subject`` says what was checked (a spec, "policy vs
    spec", a policy, an MDP or a system), ``method`` how the verdict was reached (one of
    :data:`METHODS`), ``figures`` are keyed by :data:`FIGURES`."""

    check: str
    verdict: Verdict
    message: str
    subject: str = ""
    witness: Mapping[str, State] | None = None
    values: Mapping[str, Mapping[str, Value]] = attrs.field(factory=dict)
    figures: Mapping[str, Figure] = attrs.field(factory=dict, converter=_figures)
    reason: str | None = None
    method: str | None = attrs.field(default=None, validator=_method)
    elapsed: float = 0.0
    stats: Mapping[str, float] = attrs.field(factory=dict)
    options: Mapping[str, Any] = attrs.field(factory=dict)
    curve: GoodhartCurve | None = None
    parts: tuple[Finding, ...] = ()
    trace: tuple[Mapping[str, Any], ...] = ()
    query: Any = attrs.field(default=None, eq=False, repr=False)

    @property
    def spec(self) -> str:
        """Deprecated: what was checked is ``subject``."""
        import warnings

        warnings.warn(
            "Finding.spec is now Finding.subject; the old spelling goes away in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.subject

    @property
    def smt2(self) -> str | None:
        """The deciding query as portable SMT-LIB2 (unsat there means PROVED here)."""
        if self.query is None:
            return None
        if isinstance(self.query, str):
            return self.query
        from alignspec.solver import smt2

        return smt2(self.query)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check": self.check,
            "subject": self.subject,
            "verdict": self.verdict.value,
            "method": self.method,
            "message": self.message,
            "reason": self.reason,
            "witness": self.witness,
            "values": self.values,
            "figures": self.figures,
            "options": self.options,
            "elapsed": round(self.elapsed, 6),
            "stats": self.stats,
        }
        if self.curve is not None:
            out["curve"] = self.curve.to_dict()
        if self.parts:
            out["parts"] = [p.to_dict() for p in self.parts]
        if self.trace:
            out["trace"] = [dict(step) for step in self.trace]
        result: dict[str, Any] = plain(out)
        return result


@attrs.frozen
class Report:
    """All findings for one spec; its verdict is the worst of theirs."""

    spec: str
    findings: tuple[Finding, ...]
    expect: str | None = None
    source: tuple[str, int] | None = None

    @property
    def verdict(self) -> Verdict:
        return worst(f.verdict for f in self.findings)

    @property
    def meets_expectation(self) -> bool:
        """True when ``expect`` is None, or 'aligned' and PROVED, or 'misaligned' and VIOLATED."""
        if self.expect is None:
            return True
        wanted = Verdict.PROVED if self.expect == "aligned" else Verdict.VIOLATED
        return self.verdict is wanted

    def __str__(self) -> str:
        """The text report (``print(report)``; ``repr`` keeps the fields)."""
        from alignspec.report.text import render  # a renderer above this layer: lazily

        return render(self)

    def __getitem__(self, check: str) -> Finding:
        for f in self.findings:
            if f.check == check:
                return f
        raise KeyError(f"no finding for check {check!r}; have {[f.check for f in self.findings]}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "expect": self.expect,
            "verdict": self.verdict.value,
            "meets_expectation": self.meets_expectation,
            "source": {"file": self.source[0], "line": self.source[1]} if self.source else None,
            "findings": [f.to_dict() for f in self.findings],
        }


#: Exact numbers longer than this many bits are shown as a decimal approximation (Python
#: refuses to print integers of more than 4300 digits; exact MDP returns can reach that).
SHOWN_BITS = 4000


#: Fractions with a larger denominator get a decimal beside them in messages and reports.
READABLE_DENOMINATOR = 10**6


def number_text(x: object) -> str:
    """How a figure or value reads in messages and reports: exact ("p/q") unless its digits
    run into the thousands, then a decimal approximation that says so."""
    if isinstance(x, Fraction) and max(x.numerator.bit_length(), x.denominator.bit_length()) > (
        SHOWN_BITS
    ):
        digits = int(max(x.numerator.bit_length(), x.denominator.bit_length()) * 0.30103) + 1
        return f"{float(x):.12g} (exact: a fraction of about {digits} digits)"
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > SHOWN_BITS:
        return f"{float(x):.12g} (exact: about {int(x.bit_length() * 0.30103) + 1} digits)"
    if isinstance(x, Fraction) and x.denominator > READABLE_DENOMINATOR:
        return f"{x} (about {float(x):.12g})"  # nobody reads p/q with 7+ digits below
    return str(x)


def plain(value: Any) -> Any:
    """JSON-ready copy: Fractions become ints or "p/q" strings (a decimal approximation,
    labelled, when thousands of digits long), enums their values."""
    if isinstance(value, Fraction):
        if max(value.numerator.bit_length(), value.denominator.bit_length()) > SHOWN_BITS:
            return number_text(value)
        return value.numerator if value.denominator == 1 else str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value

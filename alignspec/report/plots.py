"""SVG plots for the HTML report (optional dependency: matplotlib)."""

from __future__ import annotations

import io
import math
from fractions import Fraction
from typing import Any

from alignspec.results import GoodhartCurve
from alignspec.space import Bool, Choice, Int, Real


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def goodhart(curve: GoodhartCurve) -> str:
    """Reward threshold against the worst and best intended utility that reach it."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "alignspec"  # deterministic ids
    import matplotlib.pyplot as plt

    ts = [float(p.threshold) for p in curve.points]
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for attr, label, style in (("best", "best utility", "-o"), ("worst", "worst utility", "-s")):
        # an undecided point is a gap (NaN breaks the line), never joined as if proved
        ys = [float(v) if (v := getattr(p, attr)) is not None else math.nan for p in curve.points]
        if any(not math.isnan(y) for y in ys):
            ax.plot(ts, ys, style, markersize=3, label=label)
    undecided = [t for t, p in zip(ts, curve.points, strict=True) if None in (p.best, p.worst)]
    for i, t in enumerate(undecided):
        ax.axvline(
            t,
            color="grey",
            alpha=0.35,
            linewidth=4,
            label=f"undecided ({len(undecided)} of {len(ts)} thresholds)" if i == 0 else None,
        )
    if curve.goodhart_threshold is not None:
        ax.axvline(
            float(curve.goodhart_threshold),
            color="crimson",
            linestyle="--",
            label="Goodhart threshold",
        )
    ax.set_xlabel("reward demanded (>= t)")
    ax.set_ylabel("intended utility")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _svg(fig)


def disagreement(
    spec: Any, x: str | None = None, y: str | None = None, steps: int = 41
) -> str | None:
    """Over two numeric variables, where the normalised reward and the normalised intended
    utility differ.  The other variables are fixed (numbers at their midpoints, Bools
    False, Choices their first label), as the figure's footnote says; states that break
    an assumption are shaded grey and left out of the normalisation."""
    from alignspec.symbolic.evaluate import holds, value_of

    if spec.objective is None or spec.utility is None:
        return None
    numeric = [n for n, v in spec.domain.variables.items() if isinstance(v, (Real, Int))]
    if len(numeric) < 2:
        return None
    x, y = x or numeric[0], y or numeric[1]
    if x not in numeric or y not in numeric or x == y:
        return None
    scope = spec.domain.variables
    base = _fixed(scope)

    def axis(name: str) -> list[Any]:
        var = scope[name]
        if isinstance(var, Int):
            step = max(1, (var.hi - var.lo) // (steps - 1))
            return list(range(var.lo, var.hi + 1, step))
        return [var.lo + (var.hi - var.lo) * Fraction(i, steps - 1) for i in range(steps)]

    xs, ys = axis(x), axis(y)
    rewards, utils, feasible = [], [], []
    for yv in ys:
        rrow, urow, frow = [], [], []
        for xv in xs:
            state = {**base, x: xv, y: yv}
            frow.append(all(holds(e, scope, state) for _, e in spec.assumptions))
            rrow.append(float(value_of(spec.objective, scope, state)))
            urow.append(float(value_of(spec.utility, scope, state)))
        rewards.append(rrow)
        utils.append(urow)
        feasible.append(frow)

    def normalise(grid: list[list[float]]) -> list[list[float]]:
        flat = [
            v
            for row, ok in zip(grid, feasible, strict=True)
            for v, f in zip(row, ok, strict=True)
            if f
        ]
        lo, hi = (min(flat), max(flat)) if flat else (0.0, 0.0)
        return [[(v - lo) / (hi - lo) if hi > lo else 0.5 for v in row] for row in grid]

    r, u = normalise(rewards), normalise(utils)
    diff = [
        [(r[i][j] - u[i][j]) if feasible[i][j] else float("nan") for j in range(len(xs))]
        for i in range(len(ys))
    ]
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "alignspec"
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(5.5, 4.4))
    shading = matplotlib.colormaps["coolwarm"].with_extremes(bad="#c8c8c8")
    image = ax.imshow(
        diff,
        origin="lower",
        aspect="auto",
        cmap=shading,
        vmin=-1,
        vmax=1,
        extent=(float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1])),
    )
    fig.colorbar(image, ax=ax, label="normalised reward - normalised utility")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title("where reward and intent disagree (red: reward overrates)", fontsize=9)
    if not all(all(row) for row in feasible):
        grey = Patch(facecolor="#c8c8c8", label="infeasible: breaks an assumption")
        ax.legend(handles=[grey], loc="upper right", fontsize=7, framealpha=0.9)
    others = [f"{n}={_shown(v)}" for n, v in base.items() if n not in (x, y)]
    if others:
        fig.text(0.01, 0.01, "other variables fixed at " + ", ".join(others), fontsize=7)
        fig.subplots_adjust(bottom=0.18)
    return _svg(fig)


def _fixed(scope: dict[str, Any]) -> dict[str, Any]:
    """Where the map holds the variables that are not its axes."""
    base: dict[str, Any] = {}
    for name, var in scope.items():
        if isinstance(var, Bool):
            base[name] = False
        elif isinstance(var, Choice):
            base[name] = var.labels[0]
        elif isinstance(var, Int):
            base[name] = (var.lo + var.hi) // 2
        else:
            base[name] = (var.lo + var.hi) / 2
    return base


def _shown(value: Any) -> str:
    if isinstance(value, Fraction) and value.denominator != 1:
        return f"{float(value):g}"
    return str(value)

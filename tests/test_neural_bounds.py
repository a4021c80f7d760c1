"""Sound float bound propagation for ReLU networks, checked against exact rational arithmetic."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignspec.neural import bounds as nb
from alignspec.neural.bounds import (
    FloatNet,
    crown_lower,
    crown_upper,
    interval_bounds,
    num_unstable,
    smear_scores,
    symbolic_bounds,
)

ACAS = Path("/work/shared/benchmarks/acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx")
PROP1_LO = np.array([0.6, -0.5, -0.5, 0.45, -0.5])
PROP1_HI = np.array([0.679857769, 0.5, 0.5, 0.5, -0.45])
SETTINGS = settings(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Exact = list[tuple[list[list[Fraction]], list[Fraction]]]


# ---------------------------------------------------------------------------------------------
# exact reference


def exact_layers(layers: Exact, x: list[Fraction]) -> list[list[Fraction]]:
    """Pre-activations of every layer, in exact rational arithmetic."""
    out = []
    h = x
    for k, (w, b) in enumerate(layers):
        z = [
            sum((wi * hi for wi, hi in zip(row, h, strict=True) if hi), bk)
            for row, bk in zip(w, b, strict=True)
        ]
        out.append(z)
        h = [max(v, Fraction(0)) for v in z] if k + 1 < len(layers) else z
    return out


def to_exact(layers: list[tuple[np.ndarray, np.ndarray]]) -> Exact:
    return [
        ([[Fraction(v) for v in row] for row in w.tolist()], [Fraction(v) for v in b.tolist()])
        for w, b in layers
    ]


def points(
    lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator, n: int
) -> list[list[Fraction]]:
    """Corners (all, or a sample), the middle, and random rational points of a box."""
    d = len(lo)
    lo_f, hi_f = [Fraction(v) for v in lo], [Fraction(v) for v in hi]
    corners = list(itertools.product([0, 1], repeat=d))
    if len(corners) > 8:
        corners = [corners[0], corners[-1]] + [corners[i] for i in rng.choice(len(corners), 6)]
    pts = [[hi_f[i] if c[i] else lo_f[i] for i in range(d)] for c in corners]
    pts.append([(a + b) / 2 for a, b in zip(lo_f, hi_f, strict=True)])
    for _ in range(n):
        t = [Fraction(int(rng.integers(0, 1001)), 1000) for _ in range(d)]
        pts.append([a + ti * (b - a) for a, b, ti in zip(lo_f, hi_f, t, strict=True)])
    return pts


def lin(coef: np.ndarray, const: float, x: list[Fraction]) -> Fraction:
    return sum((Fraction(c) * xi for c, xi in zip(coef.tolist(), x, strict=True)), Fraction(const))


def inside(v: Fraction, low: float, up: float) -> bool:
    return (low == -math.inf or Fraction(low) <= v) and (up == math.inf or v <= Fraction(up))


def check_all(
    net: FloatNet,
    exact_nets: list[Exact],
    lo: np.ndarray,
    hi: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    rng: np.random.Generator,
    n_points: int = 3,
    alpha_steps: int = 3,
) -> None:
    """Every bound of every method contains the exact values of every exact network."""
    ib = interval_bounds(net, lo, hi)
    syms = [symbolic_bounds(net, lo, hi, lower_slope=s) for s in ("adaptive", "parallel", "zero")]
    sym = syms[0]
    crowns = [
        crown_lower(net, sym, c, d),
        crown_lower(net, syms[1], c, d, lower_slope="parallel"),
        crown_lower(net, syms[2], c, d, lower_slope="zero"),
        crown_lower(net, sym, c, d, alpha=True, alpha_steps=alpha_steps),
    ]
    uppers = [crown_upper(net, sym, c, d), crown_upper(net, sym, c, d, alpha=True, alpha_steps=2)]
    cf = [[Fraction(v) for v in row] for row in c.tolist()]
    df = [Fraction(v) for v in d.tolist()]
    for b in range(lo.shape[0]):
        for x in points(lo[b], hi[b], rng, n_points):
            for layers in exact_nets:
                zs = exact_layers(layers, x)
                for k, z in enumerate(zs):
                    for j, v in enumerate(z):
                        for bl in [ib, *(s.bounds for s in syms)]:
                            low, up = bl[k][0][b, j], bl[k][1][b, j]
                            assert inside(v, low, up), (k, j, float(v), low, up)
                y = zs[-1]
                for s in syms:
                    for j, v in enumerate(y):
                        if not s.symbolic_overflow[b]:
                            assert lin(s.out_lower_coef[b, j], s.out_lower_const[b, j], x) <= v
                            assert v <= lin(s.out_upper_coef[b, j], s.out_upper_const[b, j], x)
                obj = [
                    sum((ci * yi for ci, yi in zip(row, y, strict=True)), dr)
                    for row, dr in zip(cf, df, strict=True)
                ]
                for r, v in enumerate(obj):
                    for cr in crowns:
                        assert inside(v, cr.bound[b, r], math.inf), (r, float(v), cr.bound[b, r])
                        if np.isfinite(cr.a0[b, r]):
                            assert lin(cr.A[b, r], cr.a0[b, r], x) <= v
                    for cu in uppers:
                        assert inside(v, -math.inf, cu.bound[b, r])
                        if np.isfinite(cu.a0[b, r]):
                            assert v <= lin(cu.A[b, r], cu.a0[b, r], x)


# ---------------------------------------------------------------------------------------------
# random networks (hypothesis)

AWKWARD = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.1,
    1 / 3,
    1 + 2**-52,
    1e-8,
    -1e-8,
    1e16,
    -1e16,
    3e-300,
    5e-324,
    123456789.123456789,
    -2.5e7,
]


@st.composite
def weights(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    mode = draw(st.sampled_from(["plain", "awkward", "scaled"]))
    if mode == "plain":
        vals = draw(st.lists(st.floats(-3, 3), min_size=n, max_size=n))
    elif mode == "awkward":
        vals = draw(
            st.lists(st.one_of(st.sampled_from(AWKWARD), st.floats(-2, 2)), min_size=n, max_size=n)
        )
    else:
        mant = draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n))
        exps = draw(st.lists(st.integers(-60, 60), min_size=n, max_size=n))
        vals = [math.ldexp(m, e) for m, e in zip(mant, exps, strict=True)]
    return np.array(vals, dtype=np.float64).reshape(shape)


@st.composite
def networks(draw: st.DrawFn) -> list[tuple[np.ndarray, np.ndarray]]:
    widths = draw(st.lists(st.integers(1, 8), min_size=2, max_size=5))
    widths[0] = min(widths[0], 4)
    return [
        (draw(weights((widths[k + 1], widths[k]))), draw(weights((widths[k + 1],))))
        for k in range(len(widths) - 1)
    ]


@st.composite
def boxes(draw: st.DrawFn, n0: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array(draw(st.lists(st.floats(-4, 4), min_size=2 * n0, max_size=2 * n0))).reshape(2, n0)
    widths = draw(
        st.lists(
            st.sampled_from([0.0, 1e-9, 0.01, 0.5, 2.0, 8.0]), min_size=2 * n0, max_size=2 * n0
        )
    )
    return lo, lo + np.array(widths).reshape(2, n0)


@settings(SETTINGS, max_examples=45)
@given(data=st.data())
def test_bounds_contain_exact_values_random_networks(data: st.DataObject) -> None:
    layers = data.draw(networks())
    lo, hi = data.draw(boxes(layers[0][0].shape[1]))
    net = FloatNet(layers)
    n_out = layers[-1][0].shape[0]
    c = np.vstack([np.eye(n_out), data.draw(weights((1, n_out)))])
    d = data.draw(weights((n_out + 1,)))
    check_all(net, [to_exact(layers)], lo, hi, c, d, np.random.default_rng(0))


@settings(SETTINGS, max_examples=20)
@given(data=st.data())
def test_perturbed_weights_every_corner_inside(data: st.DataObject) -> None:
    layers = data.draw(networks())
    errs = []
    for w, b in layers:
        scale = data.draw(st.sampled_from([1e-12, 1e-3, 0.1]))
        errs.append((np.abs(w) * scale + scale / 10, np.abs(b) * scale))
    lo, hi = data.draw(boxes(layers[0][0].shape[1]))
    net = FloatNet(layers, errs)
    assert net.has_errors
    rng = np.random.default_rng(1)
    corners = []
    for pattern in ["plus", "minus", "random", "random"]:
        ex = []
        for (w, b), (we, be) in zip(layers, errs, strict=True):
            sw = {"plus": np.ones_like(w), "minus": -np.ones_like(w)}.get(
                pattern, rng.choice([-1.0, 1.0], w.shape)
            )
            sb = {"plus": np.ones_like(b), "minus": -np.ones_like(b)}.get(
                pattern, rng.choice([-1.0, 1.0], b.shape)
            )
            ex.append(
                (
                    [
                        [
                            Fraction(a) + int(s) * Fraction(e)
                            for a, s, e in zip(r1, r2, r3, strict=True)
                        ]
                        for r1, r2, r3 in zip(w.tolist(), sw.tolist(), we.tolist(), strict=True)
                    ],
                    [
                        Fraction(a) + int(s) * Fraction(e)
                        for a, s, e in zip(b.tolist(), sb.tolist(), be.tolist(), strict=True)
                    ],
                )
            )
        corners.append(ex)
    n_out = layers[-1][0].shape[0]
    check_all(net, corners, lo, hi, np.eye(n_out), np.zeros(n_out), rng, n_points=1)


@settings(SETTINGS, max_examples=25)
@given(data=st.data())
def test_any_lower_slopes_in_unit_interval_are_sound(data: st.DataObject) -> None:
    """The rigorous back-substitution is sound for every per-row slope in [0, 1], not only
    for the ones alpha-optimisation returns."""
    layers = data.draw(networks())
    lo, hi = data.draw(boxes(layers[0][0].shape[1]))
    net = FloatNet(layers)
    sym = symbolic_bounds(net, lo, hi)
    n_out = layers[-1][0].shape[0]
    c = np.vstack([np.eye(n_out), -np.eye(n_out)])
    d = np.zeros(2 * n_out)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    relu = nb._relu_data(net, sym, "adaptive")
    cm, dm = nb._objective(c, d, lo.shape[0], n_out)
    slopes = [
        rng.choice([0.0, 1.0, rng.uniform()], (lo.shape[0], 2 * n_out, r.s_up.shape[1]))
        for r in relu
    ]
    a, a0, bad = nb._crown_rigorous(net, sym, relu, cm, dm, slopes)
    bound = nb.concretize(a, a0, lo, hi)
    ex = to_exact(layers)
    for b in range(lo.shape[0]):
        for x in points(lo[b], hi[b], rng, 2):
            y = exact_layers(ex, x)[-1]
            obj = [*y, *(-v for v in y)]
            for r, v in enumerate(obj):
                if not bad[b, r]:
                    assert lin(a[b, r], a0[b, r], x) <= v
                    assert inside(v, bound[b, r], math.inf)


# ---------------------------------------------------------------------------------------------
# rounding: the naive computation is wrong, ours is not


def test_catastrophic_cancellation_naive_excludes_exact_ours_contains() -> None:
    # z = 1e16 x0 + x1 - 1e16 at x = (1, 1) is exactly 1, but fl(1e16 + 1) = 1e16 (a tie,
    # rounded to even) in either summation order, so float evaluation gives 0. The second
    # layer scales it to 1e10.
    layers = [(np.array([[1e16, 1.0]]), np.array([-1e16])), (np.array([[1e10]]), np.array([0.0]))]
    net = FloatNet(layers)
    exact = exact_layers(to_exact(layers), [Fraction(1), Fraction(1)])
    assert exact[0][0] == 1 and exact[1][0] == 10**10
    lo = hi = np.array([[1.0, 1.0]])

    # naive interval propagation: the same formulas without the error term
    w, b = layers[0]
    naive_u = np.maximum(w, 0) @ hi[0] + np.minimum(w, 0) @ lo[0] + b
    naive_l = np.maximum(w, 0) @ lo[0] + np.minimum(w, 0) @ hi[0] + b
    assert naive_u[0] == naive_l[0] == 0.0  # excludes the exact value 1
    naive_y = layers[1][0] @ np.maximum(naive_u, 0) + layers[1][1]
    assert Fraction(naive_y[0]) < exact[1][0]

    rng = np.random.default_rng(0)
    check_all(net, [to_exact(layers)], lo, hi, np.eye(1), np.zeros(1), rng, n_points=0)
    sym = symbolic_bounds(net, lo, hi)
    assert sym.bounds[0][0][0, 0] <= 1 <= sym.bounds[0][1][0, 0]
    assert sym.bounds[1][0][0, 0] <= 1e10 <= sym.bounds[1][1][0, 0]
    assert (
        crown_lower(net, sym, np.eye(1)).bound[0, 0]
        <= 1e10
        <= crown_upper(net, sym, np.eye(1)).bound[0, 0]
    )


def test_coefficient_cancellation_in_symbolic_and_crown() -> None:
    # three copies of x feed y = 1e16 h0 + h1 - 1e16 h2: the coefficient of x is exactly 1,
    # but left-to-right float summation gives 0. Box x in [1, 2].
    layers = [
        (np.array([[1.0], [1.0], [1.0]]), np.zeros(3)),
        (np.array([[1e16, 1.0, -1e16]]), np.array([0.0])),
    ]
    naive = (1e16 * 1.0 + 1.0 * 1.0) + (-1e16) * 1.0
    assert naive == 0.0  # the naive coefficient; exact is 1
    net = FloatNet(layers)
    lo, hi = np.array([[1.0]]), np.array([[2.0]])
    check_all(net, [to_exact(layers)], lo, hi, np.eye(1), np.zeros(1), np.random.default_rng(0))
    sym = symbolic_bounds(net, lo, hi)
    low, up = sym.bounds[1]
    assert low[0, 0] <= 1 and 2 <= up[0, 0]


def test_rounding_primitives_against_exact_arithmetic() -> None:
    rng = np.random.default_rng(3)
    special = np.array([0.0, 5e-324, 2.0**-1022, 1e-300, 1.0, 1 + 2**-52, 1e16, 1e300, 0.1, 3.0])
    a = np.concatenate(
        [rng.normal(size=200) * 10.0 ** rng.integers(-300, 300, 200), special, -special]
    )
    b = rng.permutation(
        np.concatenate(
            [rng.normal(size=200) * 10.0 ** rng.integers(-20, 20, 200), special, special]
        )
    )
    with np.errstate(all="ignore"):
        for op in (np.add, np.subtract, np.multiply):
            r = op(a, b)
            up, down = nb._succ(r), nb._pred(r)
            for x, y, u, dn in zip(a, b, up, down, strict=True):
                if not (np.isfinite(u) and np.isfinite(dn)):
                    continue
                ex = {
                    np.add: Fraction(x) + Fraction(y),
                    np.subtract: Fraction(x) - Fraction(y),
                    np.multiply: Fraction(x) * Fraction(y),
                }[op]
                assert Fraction(dn) <= ex <= Fraction(u)
    # dot products with cancellation: the (L3) bound holds whatever the summation order
    for trial in range(50):
        n = int(rng.integers(1, 40))
        x = rng.normal(size=n) * 10.0 ** rng.integers(-10, 17, n)
        w = rng.normal(size=n) * 10.0 ** rng.integers(-10, 17, n)
        w[-1] = -np.sum(w[:-1] * x[:-1]) / x[-1] if trial % 2 else w[-1]
        val = np.dot(w, x)
        mag = np.dot(np.abs(w), np.abs(x))
        ex = sum((Fraction(p) * Fraction(q) for p, q in zip(w, x, strict=True)), Fraction(0))
        assert (
            Fraction(float(nb._lower(np.array(val), np.array(mag), n)))
            <= ex
            <= Fraction(float(nb._upper(np.array(val), np.array(mag), n)))
        )
        assert Fraction(float(nb._up_nonneg(np.array(mag), n))) >= sum(
            (abs(Fraction(p) * Fraction(q)) for p, q in zip(w, x, strict=True)), Fraction(0)
        )


@SETTINGS
@given(
    low=st.floats(-1e300, -1e-300),
    up=st.floats(1e-300, 1e300),
    s=st.one_of(st.none(), st.floats(0, 1)),
)
def test_upper_relaxation_valid_for_the_computed_slope(
    low: float, up: float, s: float | None
) -> None:
    lo_a, up_a = np.array([low]), np.array([up])
    with np.errstate(all="ignore"):
        slope = up_a / (up_a - lo_a) if s is None else np.array([s])
        t = nb._upper_intercept(slope, lo_a, up_a)
    sf, tf = Fraction(slope[0]), Fraction(t[0])
    assert sf * Fraction(low) + tf >= 0  # above relu at the left end
    assert sf * Fraction(up) + tf >= Fraction(up)  # and at the right end, hence on [low, up]


def test_overflow_falls_back_to_intervals_never_to_a_finite_lie() -> None:
    # coefficients 1e200 * 1e200 overflow whenever the hidden neuron can be active
    layers = [(np.array([[1e200]]), np.array([0.0])), (np.array([[1e200]]), np.array([1.0]))]
    net = FloatNet(layers)
    lo, hi = np.array([[-2.0], [1.0]]), np.array([[-1.0], [2.0]])
    sym = symbolic_bounds(net, lo, hi)
    assert sym.symbolic_overflow.tolist() == [False, True]
    (low, up) = sym.bounds[-1]
    assert low[0, 0] <= 1 <= up[0, 0] and up[0, 0] - low[0, 0] < 1e-10
    assert low[1, 0] == -math.inf and up[1, 0] == math.inf  # 1e400 is beyond float64
    cr = crown_lower(net, sym, np.eye(1))
    assert cr.bound[0, 0] <= 1 and cr.bound[1, 0] == -math.inf
    ib = interval_bounds(net, lo, hi)
    assert ib[-1][0][1, 0] == -math.inf and ib[-1][1][1, 0] == math.inf
    check_all(net, [to_exact(layers)], lo, hi, np.eye(1), np.zeros(1), np.random.default_rng(0))
    # here only the symbolic functions overflow (coefficient 1e600): the interval bounds
    # [1, 1 + tiny] of the output stay, and CROWN falls back to them
    layers = [(np.array([[1e300, 1e300]]), np.array([0.0])), (np.array([[1e300]]), np.array([1.0]))]
    net = FloatNet(layers)
    lo = hi = np.zeros((1, 2))
    sym = symbolic_bounds(net, lo, hi)
    assert sym.symbolic_overflow.tolist() == [True]
    assert 0.5 < sym.bounds[-1][0][0, 0] <= 1 <= sym.bounds[-1][1][0, 0] < 2
    assert (
        0.5
        < crown_lower(net, sym, np.eye(1)).bound[0, 0]
        <= 1
        <= crown_upper(net, sym, np.eye(1)).bound[0, 0]
    )
    check_all(net, [to_exact(layers)], lo, hi, np.eye(1), np.zeros(1), np.random.default_rng(0))


# ---------------------------------------------------------------------------------------------
# API details


def test_forward_validation_and_masks() -> None:
    layers = [
        (np.array([[1.0, -1.0], [0.5, 0.5]]), np.array([0.0, -2.0])),
        (np.array([[1.0, 2.0]]), np.array([0.5])),
    ]
    net = FloatNet(layers)
    assert net.widths == (2, 2, 1) and net.depth == 2 and not net.has_errors
    assert net.forward(np.array([[1.0, 0.0]])).tolist() == [[1.5]]
    with pytest.raises(TypeError):
        FloatNet([(np.array([[Fraction(1, 3)]], dtype=object), np.zeros(1))])
    with pytest.raises(ValueError):
        FloatNet([(np.array([[2**60 + 1]]), np.zeros(1))])
    with pytest.raises(ValueError):
        FloatNet([(np.array([[np.nan]]), np.zeros(1))])
    with pytest.raises(ValueError):
        interval_bounds(net, np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]]))
    lo, hi = np.array([[0.5, -1.0], [-1.0, -1.0]]), np.array([[1.0, -0.5], [1.0, 1.0]])
    sym = symbolic_bounds(net, lo, hi, with_smear=True)
    active, inactive, unstable = sym.stability()
    assert active[0][0].tolist() == [True, False] and inactive[0][0].tolist() == [False, True]
    assert sym.num_unstable().tolist() == [0, 1] == num_unstable(sym.bounds).tolist()
    assert unstable[0][1].tolist() == [True, False]
    assert sym.smear.shape == (2, 2) and np.all(sym.smear >= 0)
    assert smear_scores(net, sym).shape == (2, 2)
    nb.check_fp_environment()


def test_add_linear_mixing_inputs_and_outputs() -> None:
    rng = np.random.default_rng(5)
    layers = [
        (rng.normal(size=(6, 3)), rng.normal(size=6)),
        (rng.normal(size=(2, 6)), rng.normal(size=2)),
    ]
    net = FloatNet(layers)
    lo = rng.uniform(-1, 0, (3, 3))
    hi = lo + 0.5
    sym = symbolic_bounds(net, lo, hi)
    c = np.array([[1.0, -1.0]])
    g = np.array([[0.1, 1e16, -3.0]])
    for cr in (crown_lower(net, sym, c), crown_upper(net, sym, c)):
        mixed = cr.add_linear(g, np.array([0.25]))
        assert mixed.influence().shape == (3, 3)
        ex = to_exact(layers)
        for b in range(3):
            for x in points(lo[b], hi[b], rng, 3):
                y = exact_layers(ex, x)[-1]
                v = y[0] - y[1] + lin(g[0], 0.25, x)
                fx = lin(mixed.A[b, 0], mixed.a0[b, 0], x)
                if cr.sense == "lower":
                    assert Fraction(mixed.bound[b, 0]) <= fx <= v
                else:
                    assert v <= fx <= Fraction(mixed.bound[b, 0])


# ---------------------------------------------------------------------------------------------
# ACAS Xu

needs_acas = pytest.mark.skipif(not ACAS.exists(), reason="ACAS Xu benchmark files not present")


@pytest.fixture(scope="module")
def acas() -> tuple[FloatNet, Exact]:
    from alignspec.policy.onnx_import import layers_from_onnx

    layers = layers_from_onnx(ACAS)
    return FloatNet(layers), to_exact(layers)


@needs_acas
def test_acas_prop1_bounds_contain_exact_outputs_and_beat_intervals(
    acas: tuple[FloatNet, Exact],
) -> None:
    net, exact = acas
    rng = np.random.default_rng(7)
    w = (PROP1_HI - PROP1_LO) / 8
    starts = rng.uniform(PROP1_LO, PROP1_HI - w, (5, 5))
    lo = np.vstack([PROP1_LO, starts])
    hi = np.vstack([PROP1_HI, starts + w])
    c = np.zeros((4, 5))
    c[:, 0] = 1
    c[np.arange(4), np.arange(1, 5)] = -1
    ib = interval_bounds(net, lo, hi)
    sym = symbolic_bounds(net, lo, hi)
    crl, cru = crown_lower(net, sym, np.eye(5)), crown_upper(net, sym, np.eye(5))
    al = crown_lower(net, sym, c, alpha=True, alpha_steps=10)
    cl = crown_lower(net, sym, c)
    for b in range(lo.shape[0]):
        pts = points(lo[b], hi[b], rng, 1 if b else 4)
        for x in pts[:: 1 if b == 0 else 3]:
            zs = exact_layers(exact, x)
            for k, z in enumerate(zs):
                for j, v in enumerate(z):
                    assert inside(v, ib[k][0][b, j], ib[k][1][b, j])
                    assert inside(v, sym.bounds[k][0][b, j], sym.bounds[k][1][b, j])
            y = zs[-1]
            for j in range(5):
                assert Fraction(crl.bound[b, j]) <= y[j] <= Fraction(cru.bound[b, j])
            for r in range(4):
                assert Fraction(al.bound[b, r]) <= y[0] - y[r + 1]
                assert Fraction(cl.bound[b, r]) <= y[0] - y[r + 1]
    width_int = np.mean(ib[-1][1] - ib[-1][0])
    width_sym = np.mean(sym.bounds[-1][1] - sym.bounds[-1][0])
    width_crown = np.mean(cru.bound - crl.bound)
    assert width_sym < width_int and width_crown < width_int
    assert np.all(al.bound >= cl.bound - 1e-9 * np.abs(cl.bound) - 1e-12)
    assert np.all(sym.num_unstable() <= num_unstable(ib))


@needs_acas
def test_acas_tiny_box_crown_is_tight(acas: tuple[FloatNet, Exact]) -> None:
    net, _ = acas
    rng = np.random.default_rng(11)
    centers = rng.uniform(PROP1_LO, PROP1_HI, (8, 5))
    lo, hi = centers - 5e-7, centers + 5e-7
    sym = symbolic_bounds(net, lo, hi)
    y = net.forward(centers)
    low = crown_lower(net, sym, np.eye(5)).bound
    up = crown_upper(net, sym, np.eye(5)).bound
    assert np.all(low <= y) and np.all(y <= up)
    assert np.max(up - y) < 1e-3 and np.max(y - low) < 1e-3

"""VNN-LIB properties read exactly; ONNX networks loaded the way VNN-COMP names them."""

import random
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import alignspec as al
from alignspec.neural import vnnlib
from alignspec.neural.vnnlib import Constraint
from alignspec.symbolic.evaluate import holds

BENCH = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "acasxu"
PROPS = BENCH / "vnnlib"
NETS = BENCH / "onnx"
acas = pytest.mark.skipif(not BENCH.is_dir(), reason="shared ACAS Xu benchmark not present")

HEADER = "".join(f"(declare-const X_{i} Real)\n" for i in range(2)) + "(declare-const Y_0 Real)\n"
BOX = "(assert (<= X_0 1))\n(assert (>= X_0 -1))\n(assert (<= X_1 2))\n(assert (>= X_1 0))\n"
ZERO5 = (F(0),) * 5


def unit(j, sign=1, n=5):
    return tuple(F(sign) if i == j else F(0) for i in range(n))


def diff(a, b):
    """Coefficients of Y_a - Y_b."""
    return tuple(x + y for x, y in zip(unit(a), unit(b, -1), strict=True))


def le(a, b):
    """Y_a <= Y_b, normalised."""
    return Constraint(diff(a, b), ZERO5, F(0), "<=")


# --- the ten ACAS Xu properties ----------------------------------------------------------------

SHAPES = {  # property: (number of input boxes, sizes of the unsafe disjuncts)
    1: (1, [1]),
    2: (1, [4]),
    3: (1, [4]),
    4: (1, [4]),
    5: (1, [1, 1, 1, 1]),
    6: (2, [1, 1, 1, 1]),
    7: (1, [3, 3]),
    8: (1, [2, 2, 2]),
    9: (1, [1, 1, 1, 1]),
    10: (1, [1, 1, 1, 1]),
}


@acas
@pytest.mark.parametrize("n", sorted(SHAPES))
def test_acas_xu_properties_have_the_expected_structure(n):
    prop = vnnlib.read(PROPS / f"prop_{n}.vnnlib")
    boxes, sizes = SHAPES[n]
    assert (prop.n_inputs, prop.n_outputs) == (5, 5)
    assert len(prop.input_boxes) == boxes and prop.input_constraints == ((),) * boxes
    assert [len(conj) for conj in prop.unsafe] == sizes
    for box in prop.input_boxes:
        assert len(box) == 5 and all(type(v) is F and lo <= hi for lo, hi in box for v in (lo, hi))
    for conj in prop.unsafe:
        for c in conj:
            assert c.x == ZERO5 and c.op == "<=" and all(type(v) is F for v in c.y)


@acas
def test_acas_xu_bounds_and_conditions_are_exact():
    p1 = vnnlib.read(PROPS / "prop_1.vnnlib")
    assert p1.input_boxes == (
        (
            (F(3, 5), F(679857769, 10**9)),
            (F(-1, 2), F(1, 2)),
            (F(-1, 2), F(1, 2)),
            (F(45, 100), F(1, 2)),
            (F(-1, 2), F(-45, 100)),
        ),
    )
    # (>= Y_0 3.991125645861615) is 3.991125645861615 - Y_0 <= 0
    assert p1.unsafe == ((Constraint(unit(0, -1), ZERO5, F(3991125645861615, 10**15), "<="),),)
    # "unsafe if COC is maximal": Y_k <= Y_0 for every other advisory, all at once
    assert vnnlib.read(PROPS / "prop_2.vnnlib").unsafe == (tuple(le(k, 0) for k in range(1, 5)),)
    p4 = vnnlib.read(PROPS / "prop_4.vnnlib")
    assert p4.input_boxes[0][2] == (0, 0) and p4.unsafe == (tuple(le(0, k) for k in range(1, 5)),)
    p6 = vnnlib.read(PROPS / "prop_6.vnnlib")
    (a, b) = p6.input_boxes
    assert a[1] == (F(11140846, 10**8), F(499999896, 10**9))
    assert b[1] == (F(-499999896, 10**9), F(-11140846, 10**8))
    assert a[0] == b[0] == (F(-129289109, 10**9), F(700434925, 10**9))
    assert a[2:] == b[2:]
    assert p6.hull[1] == (F(-499999896, 10**9), F(499999896, 10**9))
    assert p6.unsafe == tuple((le(k, 0),) for k in range(1, 5))
    p7 = vnnlib.read(PROPS / "prop_7.vnnlib")
    assert p7.unsafe == (
        (le(3, 0), le(3, 1), le(3, 2)),
        (le(4, 0), le(4, 1), le(4, 2)),
    )
    p8 = vnnlib.read(PROPS / "prop_8.vnnlib")
    assert p8.unsafe == tuple((le(k, 0), le(k, 1)) for k in (2, 3, 4))


# --- the language --------------------------------------------------------------------------------


def test_numerals_arithmetic_and_relations_are_exact():
    prop = vnnlib.parse(
        HEADER
        + "(assert (<= X_0 1.5e-3))\n(assert (>= X_0 -25E-4))\n"
        + "(assert (= X_1 (- 3)))\n"
        + "(assert (< (+ (* 2 Y_0) (- X_0 X_1) 0.1) (* 0.5 2 Y_0)))\n"
        + "(assert (> Y_0 (/ 1 3)))\n"
    )
    assert prop.input_boxes == (((F(-25, 10**4), F(15, 10**4)), (F(-3), F(-3))),)
    (conj,) = prop.unsafe
    # 2 Y_0 + X_0 - X_1 + 0.1 < Y_0   ->   Y_0 + X_0 - X_1 + 1/10 < 0
    assert conj[0] == Constraint((F(1),), (F(1), F(-1)), F(1, 10), "<")
    # Y_0 > 1/3   ->   1/3 - Y_0 < 0
    assert conj[1] == Constraint((F(-1),), (F(0), F(0)), F(1, 3), "<")


def test_chains_constants_strict_and_general_input_constraints():
    prop = vnnlib.parse(
        HEADER
        + "(assert (<= -1 X_0 1))\n(assert (<= 0 X_1 (+ 1 1)))\n"
        + "(assert (< X_0 0.5))\n(assert (<= (+ X_0 X_1) 1))\n(assert (<= 0 1))\n"
        + "(assert (or (<= Y_0 0) (> 1 2)))\n"
    )
    assert prop.input_boxes == (((F(-1), F(1, 2)), (F(0), F(2))),)
    assert prop.input_constraints == (
        (
            Constraint((F(0),), (F(1), F(0)), F(-1, 2), "<"),
            Constraint((F(0),), (F(1), F(1)), F(-1), "<="),
        ),
    )
    assert prop.unsafe == ((Constraint((F(1),), (F(0), F(0)), F(0), "<="),),)
    assert prop.in_region([F(0), F(1)]) and not prop.in_region([F(1, 2), F(0)])
    assert not prop.in_region([F(1, 4), F(1)])  # X_0 + X_1 > 1


def test_disjunctions_become_boxes_and_dnf():
    prop = vnnlib.parse(
        HEADER
        + "(assert (or (and (<= 0 X_0 1) (<= 0 X_1 1)) (and (<= 2 X_0 3) (<= 0 X_1 1))))\n"
        + "(assert (or (<= Y_0 X_0) (>= Y_0 5)))\n(assert (or (<= Y_0 1) (<= Y_0 2)))\n"
    )
    assert [box[0] for box in prop.input_boxes] == [(0, 1), (2, 3)]
    assert prop.hull == ((0, 3), (0, 1))
    assert len(prop.unsafe) == 4 and all(len(conj) == 2 for conj in prop.unsafe)
    assert prop.is_unsafe([F(1), F(0)], [F(1)]) and not prop.is_unsafe([F(0), F(0)], [F(3)])
    assert prop.violated_at([F(2), F(0)], [F(2)]) and not prop.violated_at([F(3, 2), 0], [0])


def test_input_bounds_inside_the_output_condition_define_the_region():
    # the VNN-COMP form (or (and <input box> <output condition>) ...)
    prop = vnnlib.parse(
        HEADER
        + "(assert (or (and (<= 0 X_0 1) (<= 0 X_1 1) (<= Y_0 0))"
        + " (and (<= 2 X_0 3) (<= 0 X_1 1) (>= Y_0 1))))\n"
    )
    assert [box[0] for box in prop.input_boxes] == [(0, 1), (2, 3)]
    assert prop.violated_at([F(1), F(0)], [F(0)]) and not prop.violated_at([F(1), F(0)], [F(1)])
    assert prop.violated_at([F(2), F(1)], [F(1)]) and not prop.violated_at([F(2), F(1)], [F(0)])


# --- errors ---------------------------------------------------------------------------------


def write(tmp_path, text, name="bad.vnnlib"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("body", "error", "pattern"),
    [
        (
            "(assert (<= X_0 (sin Y_0)))",
            al.UnsupportedExpressionError,
            r"line 4.*`sin`.*\(sin Y_0\)",
        ),
        ("(assert (implies (<= X_0 1) (<= Y_0 1)))", al.UnsupportedExpressionError, "`implies`"),
        ("(assert (<= X_7 1))", al.SpecFileError, r"line 4.*undeclared.*X_7.*declare-const X_7"),
        ("(assert (<= X_0 1)", al.SpecFileError, r"line 4.*never closed"),
        ("(assert (<= X_0 1)))", al.SpecFileError, r"line 4.*closes nothing"),
        ("(assert (<= X_0 abc))", al.SpecFileError, r"line 4.*`abc` is neither a number"),
        ("(assert (<= X_0 1.2.3))", al.SpecFileError, r"`1\.2\.3` is neither a number"),
        ("(assert (<= (* X_0 X_1) 1))", al.UnsupportedExpressionError, r"not linear.*\(\* X_0"),
        ("(assert (<= X_0 (/ 1 0)))", al.UnsupportedExpressionError, "non-zero constant"),
        ("(assert (<= X_0))", al.SpecFileError, "needs two operands"),
        ("(assert (+ X_0 1))", al.SpecFileError, "a number where a condition"),
        ("(assert (<= (<= X_0 1) 1))", al.SpecFileError, "a condition where a number"),
        ("(declare-const Z Real)", al.SpecFileError, "`Z` is not a VNN-LIB variable name"),
        ("(declare-const X_0 Real)", al.SpecFileError, "declared twice"),
        ("(declare-const Y_5 Real)", al.SpecFileError, r"without gaps; declare Y_1, Y_2"),
        ("(declare-const Y_1 Int)", al.SpecFileError, "sort `Int`"),
        ("(push 1)", al.SpecFileError, r"unsupported command `push`"),
    ],
)
def test_malformed_files_raise_typed_errors_naming_file_line_and_culprit(
    tmp_path, body, error, pattern
):
    path = write(tmp_path, HEADER + body + "\n" + BOX)
    with pytest.raises(error, match=pattern) as info:
        vnnlib.read(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, al.SpecError)


def test_missing_bounds_empty_regions_and_blow_up(tmp_path):
    with pytest.raises(al.SpecFileError, match=r"bad.vnnlib: X_1 has no upper bound"):
        vnnlib.read(write(tmp_path, HEADER + "(assert (<= -1 X_0 1))\n(assert (>= X_1 0))\n"))
    with pytest.raises(al.SpecFileError, match="admit no input"):
        vnnlib.read(write(tmp_path, HEADER + BOX + "(assert (>= X_0 5))\n"))
    wide = "(assert (or " + " ".join(f"(<= Y_0 {i})" for i in range(10)) + "))\n"
    with pytest.raises(al.SpecFileError, match="more than 10000 disjuncts"):
        vnnlib.read(write(tmp_path, HEADER + BOX + wide * 5))
    with pytest.raises(al.SpecFileError, match=r"missing\.vnnlib: cannot read"):
        vnnlib.read(tmp_path / "missing.vnnlib")


# --- sympy: the spec and region say what the file says -----------------------------------

SMALL = al.Space(X_0=al.Real(-1, 3), X_1=al.Real(0, 2))


def test_to_spec_on_a_small_network_agrees_with_the_parsed_property():
    prop = vnnlib.parse(
        HEADER
        + "(assert (or (and (<= -1 X_0 1) (<= 0 X_1 2)) (and (<= 2 X_0 3) (<= 0 X_1 1))))\n"
        + "(assert (or (and (<= Y_0 (* 0.5 X_0)) (< X_1 1)) (= Y_0 2)))\n"
    )
    # Y_0 = relu(X_0) + relu(X_1 - 1)
    policy = al.MLPPolicy(
        SMALL, al.Space(Y_0=al.Real(0, 5)), [([[1, 0], [0, 1]], [0, -1]), ([[1, 1]], [0])], None
    )
    spec, region = vnnlib.to_spec(prop, policy)
    ((_, requirement),) = spec.requirements
    scope = policy.domain.variables
    rng = random.Random(0)
    grid = [F(k, 4) for k in range(-4, 13)]
    for _ in range(300):
        x = [rng.choice(grid), rng.choice(grid[4:])]
        y = [rng.choice([*grid, F(1, 8)])]
        env = {"X_0": x[0], "X_1": x[1], "Y_0": y[0]}
        assert holds(requirement, scope, env) == (not prop.is_unsafe(x, y))
        assert holds(region, scope, env) == prop.in_region(x)
    with pytest.raises(al.SpecError, match="Load the network with MLPPolicy.from_onnx"):
        vnnlib.to_spec(prop, al.MLPPolicy(SMALL, al.Actions("a"), [([[1, 1]], [0])]))


@acas
@pytest.mark.parametrize("n", [1, 2, 6, 7, 8])
def test_acas_xu_requirement_agrees_with_the_parsed_dnf(n):
    prop = vnnlib.read(PROPS / f"prop_{n}.vnnlib")
    policy = al.MLPPolicy.from_onnx(NETS / "ACASXU_run2a_2_1_batch_2000.onnx")
    spec, region = vnnlib.to_spec(prop, policy)
    ((_, requirement),) = spec.requirements
    scope = policy.domain.variables
    rng = random.Random(n)
    for k in range(40):
        box = rng.choice(prop.input_boxes)
        x = [lo + (hi - lo) * F(rng.randrange(1001), 1000) for lo, hi in box]
        if k < 3:  # the network's own output
            out = policy.act({f"X_{i}": v for i, v in enumerate(x)})
            y = [out[f"Y_{j}"] for j in range(5)]
        else:  # small integers: ties and both outcomes of every comparison
            y = [F(rng.randrange(-2, 6)) for _ in range(5)]
        env = {**{f"X_{i}": v for i, v in enumerate(x)}, **{f"Y_{j}": v for j, v in enumerate(y)}}
        assert holds(requirement, scope, env) == (not prop.is_unsafe(x, y))
        assert holds(region, scope, env) and prop.in_region(x)
        outside = list(x)
        outside[0] = prop.hull[0][1] + F(1, 10**12)
        env["X_0"] = outside[0]
        assert not holds(region, scope, env) and not prop.in_region(outside)


# --- ONNX without a space ------------------------------------------------------------------------


def gemm_model(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w1, b1 = rng.normal(size=(6, 3)), rng.normal(size=6)  # transB=1: stored [out, in]
    w2, b2 = rng.normal(size=(6, 2)), rng.normal(size=2)  # transB=0: stored [in, out]
    inits = [
        numpy_helper.from_array(a.astype(np.float32), n)
        for a, n in [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2")]
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["r"], name="act1"),
        helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], name="fc2", alpha=0.5, beta=2.0),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        inits,
    )
    path = tmp_path / "gemm.onnx"
    onnx.save(helper.make_model(graph), str(path))
    return path, graph


def test_from_onnx_without_space_names_like_vnn_comp_and_bounds_soundly(tmp_path):
    from onnx.reference import ReferenceEvaluator

    path, _ = gemm_model(tmp_path)
    policy = al.MLPPolicy.from_onnx(path, input_bounds=(-2, 2))
    assert policy.space.names == ("X_0", "X_1", "X_2") and policy.action_names == ("Y_0", "Y_1")
    assert policy.mode is None and policy.space["X_1"] == al.Real(-2, 2)
    rng = np.random.default_rng(1)
    xs = rng.uniform(-2, 2, size=(20, 3)).astype(np.float32)
    ref = ReferenceEvaluator(str(path))
    expected = np.array([ref.run(None, {"x": x.reshape(1, 3)})[0][0] for x in xs])
    assert np.abs(policy.forward_batch(xs.astype(float)) - expected).max() < 1e-5
    corners = [[F(c) for c in (a, b, d)] for a in (-2, 2) for b in (-2, 2) for d in (-2, 2)]
    for x in [*corners, *([F(float(v)) for v in row] for row in xs)]:
        out = policy.act(dict(zip(policy.space.names, x, strict=True)))
        for name, value in out.items():
            var = policy.actions[name]
            assert var.lo <= value <= var.hi
    wide = al.MLPPolicy.from_onnx(path)
    assert wide.space["X_0"] == al.Real(-(2**20), 2**20)
    assert wide.actions["Y_0"].hi > policy.actions["Y_0"].hi
    per_input = al.MLPPolicy.from_onnx(path, input_bounds=[(0, 1), ("-0.5", "0.5"), (0, 0)])
    assert per_input.space["X_1"] == al.Real(F(-1, 2), F(1, 2))
    labelled = al.MLPPolicy.from_onnx(path, None, al.Actions("a", "b"), input_bounds=(0, 1))
    assert labelled.mode == "argmax" and labelled.space.names[0] == "X_0"
    with pytest.raises(al.BoundsError, match="2 \\(lo, hi\\) pairs; the network has 3"):
        al.MLPPolicy.from_onnx(path, input_bounds=[(0, 1), (0, 1)])
    with pytest.raises(al.OptionError, match="mode='argmax'"):
        al.MLPPolicy.from_onnx(path, mode="argmax")
    with pytest.raises(al.OptionError, match="not both"):
        al.MLPPolicy.from_onnx(path, policy.space, input_bounds=(0, 1))


def test_onnx_errors_name_the_node_and_operator(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import helper

    path, graph = gemm_model(tmp_path)
    graph.node[1].op_type = "Sigmoid"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(al.SpecError, match=r"node 'act1' \(Sigmoid\): unsupported ONNX operator"):
        al.MLPPolicy.from_onnx(path)
    path, graph = gemm_model(tmp_path)
    graph.node[2].input[0] = "h"  # a skip connection around the Relu
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(al.SpecError, match=r"node 'fc2' \(Gemm\) does not read .*'r'"):
        al.MLPPolicy.from_onnx(path)
    path, graph = gemm_model(tmp_path)
    graph.node[0].attribute.append(helper.make_attribute("transA", 1))
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(al.SpecError, match=r"node 'fc1' \(Gemm\).*transA"):
        al.MLPPolicy.from_onnx(path)


# --- one call: network and property ---------------------------------------------------------------


@acas
def test_load_returns_policy_spec_and_region_matching_numpy():
    policy, spec, region = vnnlib.load(
        NETS / "ACASXU_run2a_2_1_batch_2000.onnx", PROPS / "prop_2.vnnlib"
    )
    prop = vnnlib.read(PROPS / "prop_2.vnnlib")
    assert all(policy.space[f"X_{i}"] == al.Real(lo, hi) for i, (lo, hi) in enumerate(prop.hull))
    assert spec.actions == policy.actions and spec.name.endswith("prop_2")
    assert isinstance(region, sp.Basic)
    rng = np.random.default_rng(2)
    lo = np.array([float(a) for a, _ in prop.hull])
    hi = np.array([float(b) for _, b in prop.hull])
    for x in rng.uniform(lo, hi, size=(5, 5)):
        state = dict(zip(policy.space.names, [F(v) for v in x], strict=True))
        out = policy.act(state)
        numpy_out = policy.forward_batch(x.reshape(1, 5))[0]
        assert np.abs(np.array([float(out[f"Y_{j}"]) for j in range(5)]) - numpy_out).max() < 1e-9
        for name, value in out.items():  # the declared action bounds hold the true output
            assert policy.actions[name].lo <= value <= policy.actions[name].hi


@acas
def test_load_rejects_a_property_for_another_network(tmp_path):
    path = write(tmp_path, HEADER + BOX + "(assert (<= Y_0 0))\n", "small.vnnlib")
    with pytest.raises(al.SpecFileError, match=r"5 inputs and 5 outputs.*small.vnnlib declares 2"):
        vnnlib.load(NETS / "ACASXU_run2a_1_1_batch_2000.onnx", path)

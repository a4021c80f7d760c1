"""Read dense ReLU networks from ONNX files (optional dependency: onnx).

The graph must be one chain of nodes from the single input tensor to the single output:
optional constant input normalisation (Sub / Div), then affine layers (Gemm, or MatMul
followed by an Add of a constant bias) with a Relu between consecutive ones.  Shape-only
nodes (Flatten, Reshape, ...) are skipped.  This covers the VNN-COMP ACAS Xu graphs
(Sub(zero) -> Flatten -> MatMul + Add / Relu ...) and PyTorch / Keras exports of MLPs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from alignspec.actions import Actions, ActionSpace
from alignspec.errors import BoundsError, OptionError, SpecError, SpecFileError
from alignspec.space import Bool, Choice, Int, Real, Space, to_fraction
from alignspec.symbolic.network import Interval, Layer, Network

SUPPORTED = (
    "Gemm, MatMul, Add (bias), Relu, Flatten, Identity, Reshape, Squeeze, Unsqueeze, "
    "Constant, and Sub/Div by constants before the first affine layer"
)
SHAPE_ONLY = ("Flatten", "Identity", "Reshape", "Squeeze", "Unsqueeze")
#: Input bounds of ``MLPPolicy.from_onnx`` when neither a space nor ``input_bounds`` is given.
DEFAULT_INPUT_BOUND = 2**20
#: Output bounds are rounded outward to this many significant decimal digits.
DIGITS = 3

Arrays = list[tuple[np.ndarray, np.ndarray]]


def layers_from_onnx(path: Path) -> Arrays:
    """The (weights (out, in), bias) layers of a Gemm/MatMul+Add/Relu chain.

    Constant input normalisation (Sub, Div before the first affine layer) is folded into
    the first layer, so the network reads raw state values.  Errors name the ONNX node and
    its operator.
    """
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise SpecError(
            "reading ONNX needs the optional onnx package: pip install 'alignspec[onnx]'"
        ) from None
    try:
        model = onnx.load(str(path))
    except Exception as err:  # a missing or corrupt file: say which and why
        raise SpecFileError(f"{path}: cannot be read as ONNX ({err})") from None
    graph = model.graph
    consts: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    feeds = [i.name for i in graph.input if i.name not in consts]
    if len(feeds) != 1:
        raise SpecFileError(
            f"{path}: the graph has {len(feeds)} non-constant inputs {feeds}; alignspec reads "
            "networks with exactly one input tensor"
        )
    current = feeds[0]  # the tensor the chain has reached
    layers: Arrays = []
    pending: list[np.ndarray] | None = None  # [W, b] of the affine map being built
    shift: np.ndarray | None = None  # input normalisation x' = (x - shift) / scale
    scale: np.ndarray | None = None
    last = "the graph input"

    for node in graph.node:
        op = node.op_type
        where = f"{path}: ONNX node {node.name!r} ({op})"
        if op == "Constant":
            value = onnx.helper.get_attribute_value(node.attribute[0])
            consts[node.output[0]] = (
                numpy_helper.to_array(value)
                if isinstance(value, onnx.TensorProto)
                else np.asarray(value)
            )
            continue
        if current not in node.input:
            raise SpecError(
                f"{where} does not read the previous layer's output {current!r}; only a single "
                "chain of layers is supported (no branches or skip connections)"
            )
        others = [consts.get(name) for name in node.input if name != current]
        if op in SHAPE_ONLY:
            pass
        elif op in ("Sub", "Div"):
            c = _constant(where, others)
            if pending is not None or layers:
                raise SpecError(
                    f"{where}: Sub and Div are supported only as input normalisation before the "
                    "first affine layer"
                )
            if node.input[0] != current:
                raise SpecError(f"{where}: only `input {op.lower()} constant` is supported")
            c = np.asarray(c, dtype=float).reshape(-1)
            if op == "Sub":  # x' = x / scale - c  ==  (x - c * scale) / scale
                step = c * (scale if scale is not None else 1)
                shift = step if shift is None else shift + step
            else:
                scale = c if scale is None else scale * c
        elif op in ("MatMul", "Gemm"):
            gemm_inputs = [n for n in node.input[1:] if n]  # B and the optional bias C
            weights = others if op == "MatMul" else [consts.get(n) for n in gemm_inputs[:1]]
            w = np.asarray(_constant(where, weights, "weights"), dtype=float)
            if w.ndim != 2:
                raise SpecError(f"{where}: weights of shape {w.shape}; expected a matrix")
            if op == "Gemm":
                attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
                if attrs.get("transA", 0) or node.input[0] != current:
                    raise SpecError(f"{where}: Gemm must read the layer input as A without transA")
                w = (w if attrs.get("transB", 0) else w.T) * float(attrs.get("alpha", 1.0))
                beta = float(attrs.get("beta", 1.0))
                b = np.zeros(w.shape[0])
                if len(gemm_inputs) > 1:
                    bias = _constant(where, [consts.get(gemm_inputs[1])], "bias")
                    b = _vector(where, bias, w) * beta
            else:  # x @ W with W stored [in, out], or W @ x with W stored [out, in]
                w = w.T if node.input[0] == current else w
                b = np.zeros(w.shape[0])
            if pending is not None:
                raise SpecError(
                    f"{where}: two affine layers without a Relu between them (after {last}); "
                    "insert the Relu or multiply the layers out before export"
                )
            width = layers[-1][0].shape[0] if layers else None
            if width is not None and w.shape[1] != width:
                raise SpecError(
                    f"{where}: weights of shape {w.shape} do not fit the {width} outputs of "
                    "the previous layer"
                )
            pending = [w, b]
        elif op == "Add":
            c = _constant(where, others, "bias")
            if pending is None:
                raise SpecError(f"{where}: an Add must be the bias of a MatMul or Gemm layer")
            pending[1] = pending[1] + _vector(where, c, pending[0])
        elif op == "Relu":
            if pending is None:
                raise SpecError(f"{where}: a Relu must follow an affine layer (after {last})")
            layers.append((pending[0], pending[1]))
            pending = None
        else:
            raise SpecError(f"{where}: unsupported ONNX operator {op}; supported: {SUPPORTED}")
        current, last = node.output[0], f"node {node.name!r} ({op})"
    outputs = [o.name for o in graph.output]
    if outputs != [current]:
        raise SpecFileError(
            f"{path}: the graph outputs {outputs}, but the layer chain ends at {current!r}; "
            "export a single-output MLP"
        )
    if pending is None:
        raise SpecError(
            f"{path}: the network ends with {last}; it must end with an affine layer "
            "(Gemm, or MatMul + Add)"
        )
    layers.append((pending[0], pending[1]))
    if shift is not None or scale is not None:
        w0, b0 = layers[0]
        s = np.ones(w0.shape[1]) if scale is None else np.broadcast_to(scale, (w0.shape[1],))
        c = np.zeros(w0.shape[1]) if shift is None else np.broadcast_to(shift, (w0.shape[1],))
        w_new = w0 / s
        layers[0] = (w_new, b0 - w_new @ c)
    for i, (w, b) in enumerate(layers):
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
            raise SpecFileError(f"{path}: layer {i} has a NaN or infinite weight or bias")
    return layers


def _constant(where: str, others: list[np.ndarray | None], what: str = "operand") -> np.ndarray:
    if len(others) != 1 or others[0] is None:
        raise SpecError(f"{where}: the {what} must be a constant (an initializer or Constant node)")
    return others[0]


def _vector(where: str, value: np.ndarray, w: np.ndarray) -> np.ndarray:
    v = np.asarray(value, dtype=float).reshape(-1)
    if v.size not in (1, w.shape[0]):
        raise SpecError(f"{where}: bias of {v.size} values for a layer of {w.shape[0]} units")
    return np.broadcast_to(v, (w.shape[0],)).copy()


# --- default spaces for networks loaded without one -----------------------------------------


def network_of(layers: Arrays) -> Network:
    """The exact network the float layers denote (each float is the rational it holds)."""
    return Network(
        tuple(
            Layer(
                tuple(tuple(Fraction(float(x)) for x in row) for row in w),
                tuple(Fraction(float(x)) for x in b),
            )
            for w, b in layers
        )
    )


def box_of(space: Space) -> list[Interval]:
    """The input box of a space (Bool counts as [0, 1]); Choice variables are not inputs."""
    box: list[Interval] = []
    for name, var in space.variables.items():
        if isinstance(var, (Real, Int)):
            box.append((Fraction(var.lo), Fraction(var.hi)))
        elif isinstance(var, Bool):
            box.append((Fraction(0), Fraction(1)))
        else:
            assert isinstance(var, Choice)
            raise SpecError(f"a network cannot take the Choice variable {name!r} as input")
    return box


def input_space(n: int, input_bounds: object = None) -> Space:
    """``X_0 .. X_{n-1}`` as Real variables with ``input_bounds``: one (lo, hi) pair for all
    inputs, a sequence of n pairs, or None for [-DEFAULT_INPUT_BOUND, DEFAULT_INPUT_BOUND]."""
    if input_bounds is None:
        pairs: list[Sequence[object]] = [(-DEFAULT_INPUT_BOUND, DEFAULT_INPUT_BOUND)] * n
    elif _is_pair(input_bounds):
        pairs = [input_bounds] * n  # type: ignore[list-item]
    elif isinstance(input_bounds, Sequence) and all(_is_pair(p) for p in input_bounds):
        pairs = list(input_bounds)
        if len(pairs) != n:
            raise BoundsError(
                f"input_bounds gives {len(pairs)} (lo, hi) pairs; the network has {n} inputs"
            )
    else:
        raise BoundsError(
            f"input_bounds={input_bounds!r}: give one (lo, hi) pair for every input, or a "
            f"sequence of {n} pairs"
        )
    variables = {}
    for i, (lo, hi) in enumerate(pairs):
        low = to_fraction(lo, f"lower bound of X_{i}")
        high = to_fraction(hi, f"upper bound of X_{i}")
        if low > high:
            raise BoundsError(f"input_bounds: X_{i} has lower bound {lo} above upper bound {hi}")
        variables[f"X_{i}"] = Real(low, high)
    return Space(**variables)


def _is_pair(value: object) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and not any(isinstance(v, Sequence) and not isinstance(v, str) for v in value)
    )


def outward(interval: Interval, digits: int = DIGITS) -> tuple[Fraction, Fraction]:
    """``interval`` widened to numbers of ``digits`` significant decimal digits (exactly:
    the result contains the interval, e.g. (-3.9911, 0.01234) -> (-4, 0.0124))."""
    lo, hi = interval
    return _round(lo, digits, math.floor), _round(hi, digits, math.ceil)


def _round(v: Fraction, digits: int, direction: Callable[[Fraction], int]) -> Fraction:
    if v == 0:
        return v
    a = abs(v)
    e = len(str(a.numerator)) - len(str(a.denominator))  # floor(log10 |v|), give or take 1
    while Fraction(10) ** e > a:
        e -= 1
    while Fraction(10) ** (e + 1) <= a:
        e += 1
    unit = Fraction(10) ** (e + 1 - digits)
    return direction(v / unit) * unit


def output_space(network: Network, box: Sequence[Interval]) -> Space:
    """``Y_0 .. Y_{m-1}`` with bounds every output provably keeps over ``box``: exact interval
    arithmetic in Fractions, rounded outward to DIGITS significant digits."""
    outputs = network.bounds(box)[-1]
    return Space(**{f"Y_{j}": Real(*outward(iv)) for j, iv in enumerate(outputs)})


def resolve(
    layers: Arrays,
    space: Space | None,
    actions: ActionSpace | None,
    mode: str | None,
    input_bounds: object,
) -> tuple[Space, ActionSpace, str | None]:
    """Complete ``MLPPolicy.from_onnx``'s arguments: default X_ / Y_ spaces and the mode."""
    if space is None:
        space = input_space(layers[0][0].shape[1], input_bounds)
    elif input_bounds is not None:
        raise OptionError("give either a state space or input_bounds, not both")
    if mode == "auto":
        mode = "argmax" if isinstance(actions, Actions) else None
    if actions is None:
        if mode is not None:
            raise OptionError(
                f"mode={mode!r}: without actions the outputs become the action variables "
                "Y_0.. (mode=None); pass Actions(...) to pick a label by argmax/argmin"
            )
        if len(space) != layers[0][0].shape[1]:
            raise SpecError(
                f"the network has {layers[0][0].shape[1]} inputs; the space has {len(space)}"
            )
        actions = output_space(network_of(layers), box_of(space))
    return space, actions, mode

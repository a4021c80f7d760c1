"""Read dense ReLU networks from ONNX files (optional dependency: onnx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from alignspec.errors import SpecError, SpecFileError

SUPPORTED = "Gemm, MatMul, Add, Relu, Flatten, Identity, Reshape, and Sub/Div by constants"


def layers_from_onnx(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (weights (out, in), bias) layers of a Gemm/MatMul+Add/Relu chain.

    Constant input normalisation (Sub, Div before the first affine layer) is folded into
    the first layer, so the network reads raw state values.
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
    layers: list[tuple[np.ndarray, np.ndarray]] = []
    pending: list[np.ndarray] | None = None  # [W, b] of the affine map being built
    shift: np.ndarray | None = None  # input normalisation x' = (x - shift) / scale
    scale: np.ndarray | None = None

    def const(node: Any, i: int) -> np.ndarray | None:
        return consts.get(node.input[i]) if len(node.input) > i else None

    for node in graph.node:
        op = node.op_type
        if op == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        elif op in ("Flatten", "Identity", "Reshape", "Squeeze", "Unsqueeze"):
            continue
        elif op in ("Sub", "Div") and pending is None and not layers:
            c = const(node, 1)
            if c is None:
                raise SpecError(f"{path}: {op} node {node.name!r} needs a constant operand")
            c = np.asarray(c, dtype=float).reshape(-1)
            if op == "Sub":  # x' = x / scale - c  ==  (x - c * scale) / scale
                step = c * (scale if scale is not None else 1)
                shift = step if shift is None else shift + step
            else:
                scale = c if scale is None else scale * c
        elif op in ("MatMul", "Gemm"):
            w = const(node, 1)
            if w is None:
                raise SpecError(f"{path}: {op} node {node.name!r} needs constant weights")
            w = np.asarray(w, dtype=float)
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            if op == "Gemm":
                if attrs.get("transA", 0):
                    raise SpecError(f"{path}: Gemm with transA is not supported")
                w = w if attrs.get("transB", 0) else w.T
                w = w * float(attrs.get("alpha", 1.0))
                bias = const(node, 2)
                b = (
                    np.zeros(w.shape[0])
                    if bias is None
                    else np.asarray(bias, dtype=float).reshape(-1) * float(attrs.get("beta", 1.0))
                )
            else:
                w, b = w.T, np.zeros(w.shape[1])
            if pending is not None:
                raise SpecError(f"{path}: two affine layers without a Relu between them")
            pending = [w, b]
        elif op == "Add":
            c = const(node, 1) if const(node, 1) is not None else const(node, 0)
            if pending is None or c is None:
                raise SpecError(f"{path}: Add node {node.name!r} is not a bias after MatMul")
            pending[1] = pending[1] + np.asarray(c, dtype=float).reshape(-1)
        elif op == "Relu":
            if pending is None:
                raise SpecError(f"{path}: Relu node {node.name!r} follows no affine layer")
            layers.append((pending[0], pending[1]))
            pending = None
        else:
            raise SpecError(
                f"{path}: unsupported ONNX operator {op} (node {node.name!r}); "
                f"supported: {SUPPORTED}"
            )
    if pending is None:
        raise SpecError(f"{path}: the network must end with an affine layer")
    layers.append((pending[0], pending[1]))
    if shift is not None or scale is not None:
        w0, b0 = layers[0]
        s = np.ones(w0.shape[1]) if scale is None else np.broadcast_to(scale, (w0.shape[1],))
        c = np.zeros(w0.shape[1]) if shift is None else np.broadcast_to(shift, (w0.shape[1],))
        w_new = w0 / s
        layers[0] = (w_new, b0 - w_new @ c)
    return layers

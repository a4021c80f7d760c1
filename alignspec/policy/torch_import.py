"""Read dense ReLU networks from PyTorch modules (optional dependency: torch).

The module must be a chain (``nn.Sequential``, nested Sequentials flattened) of ``Linear``
layers with a ``ReLU`` between consecutive ones and none after the last; ``Identity``,
``Flatten`` (of a single sample's vector) and ``Dropout`` (the identity in evaluation mode,
the semantics taken here) are skipped.  Layers are recognised by class name and read by
duck typing (``weight`` / ``bias`` tensors or arrays), so torch itself is not imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from alignspec.errors import SpecError
from alignspec.policy.onnx_import import Arrays

SUPPORTED = "Linear, ReLU (between Linear layers), Identity, Flatten, Dropout, Sequential"
SKIPPED = ("Identity", "Flatten", "Dropout", "FlattenExtractor")


def _array(value: Any, what: str) -> np.ndarray:
    """A tensor (or array) as float64, exactly (float32 and float16 widen exactly)."""
    t = value
    for step in ("detach", "cpu", "double", "numpy"):
        method = getattr(t, step, None)
        if callable(method):
            t = method()
    arr = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise SpecError(f"{what} has a NaN or infinite entry; every weight must be finite")
    return arr


def _chain(module: Any) -> list[Any]:
    """The leaf layers of a (nested) Sequential, in order."""
    children = getattr(module, "children", None)
    if not callable(children):
        raise SpecError(
            f"{type(module).__name__} is not a torch module; MLPPolicy.from_torch reads an "
            f"nn.Sequential of {SUPPORTED}"
        )
    inner = list(children())
    if not inner:
        return [module]
    out: list[Any] = []
    for child in inner:
        out.extend(_chain(child))
    return out


def _network(module: Any) -> list[Any]:
    """The layers that decide the action: a plain module's own chain, or, for a
    stable-baselines3 model or policy, its network from observation to action scores
    (DQN: the online ``q_net``, Q-values; PPO / A2C: features, ``mlp_extractor.policy_net``
    and ``action_net``, logits; the value head and target network play no part)."""
    policy = getattr(module, "policy", None)
    if policy is not None and not callable(getattr(module, "children", None)):
        module = policy  # a stable-baselines3 model (not itself a torch module)
    q = getattr(module, "q_net", None)
    if q is not None:  # DQNPolicy.q_net is a QNetwork, whose q_net is the Sequential
        return _features(q) + _chain(getattr(q, "q_net", q))
    extractor = getattr(module, "mlp_extractor", None)
    head = getattr(module, "action_net", None)
    if extractor is not None and head is not None:  # ActorCriticPolicy
        trunk = getattr(extractor, "policy_net", None)
        return _features(module) + (_chain(trunk) if trunk is not None else []) + _chain(head)
    return _chain(module)


def _features(module: Any) -> list[Any]:
    found = getattr(module, "pi_features_extractor", None) or getattr(
        module, "features_extractor", None
    )
    return [] if found is None else _chain(found)


def layers_from_torch(module: Any) -> Arrays:
    """The (weights (out, in), bias) float64 layers of a Linear / ReLU chain."""
    layers: Arrays = []
    relu_pending = False
    for position, layer in enumerate(_network(module)):
        kind = type(layer).__name__
        where = f"layer {position} ({kind})"
        if kind in SKIPPED:
            continue
        if kind == "ReLU":
            if not layers or relu_pending:
                raise SpecError(f"{where}: a ReLU must follow a Linear layer")
            relu_pending = True
            continue
        if kind != "Linear":
            hint = (
                " (stable-baselines3's PPO and A2C use Tanh unless trained with "
                "policy_kwargs=dict(activation_fn=torch.nn.ReLU))"
                if kind == "Tanh"
                else ""
            )
            raise SpecError(
                f"{where} is not supported: only piecewise-linear chains encode exactly "
                f"({SUPPORTED}){hint}; export other architectures' decisions with "
                "alignspec.extract"
            )
        if layers and not relu_pending:
            raise SpecError(
                f"{where} follows a Linear layer without a ReLU between them; put a ReLU "
                "there or merge the two affine maps"
            )
        w = _array(layer.weight, f"{where} weight")
        bias = getattr(layer, "bias", None)
        b = np.zeros(w.shape[0]) if bias is None else _array(bias, f"{where} bias")
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise SpecError(f"{where}: weight {w.shape} and bias {b.shape} do not fit")
        if layers and layers[-1][0].shape[0] != w.shape[1]:
            raise SpecError(
                f"{where} takes {w.shape[1]} inputs; the layer before gives "
                f"{layers[-1][0].shape[0]}"
            )
        layers.append((w, b))
        relu_pending = False
    if not layers:
        raise SpecError(f"the module has no Linear layer; MLPPolicy.from_torch reads {SUPPORTED}")
    if relu_pending:
        raise SpecError(
            "the module ends with a ReLU; MLPPolicy takes the last Linear layer's outputs "
            "(drop the final ReLU, or add a Linear layer after it)"
        )
    return layers

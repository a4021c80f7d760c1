"""Dense ReLU networks (MLPs) as policies: exact evaluation and a sound solver encoding."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

from alignspec.actions import Actions, ActionSpace
from alignspec.errors import LabelCountError, SpecError
from alignspec.policy.base import Action, Policy, class_labels, exact
from alignspec.space import Choice, Space, State
from alignspec.symbolic.network import Interval, Layer, Network, NetworkLink


def _number(value: object, what: str) -> Fraction:
    """A weight as the exact rational it denotes (a float is its binary value)."""
    x = exact(value, what)
    assert not isinstance(x, str)  # exact() returns numbers (and bools, which count 0/1)
    return Fraction(int(x)) if isinstance(x, bool) else Fraction(x)


def _gap(exact_rows: list[list[Fraction]], floats: np.ndarray) -> np.ndarray:
    """An upper bound on |exact - float| per entry (zeros when the floats are exact)."""
    out = np.zeros(floats.shape)
    for r, row in enumerate(exact_rows):
        for c, x in enumerate(row):
            gap = abs(x - Fraction(float(floats[r, c])))
            if gap:
                g = float(gap)
                out[r, c] = g if Fraction(g) >= gap else math.nextafter(g, math.inf)
    return out


class MLPPolicy(Policy):
    """A ReLU network: ``layers`` are ``(weights, bias)`` pairs with ``weights`` of shape
    (outputs, inputs); ReLU between layers, none after the last.  The inputs are the state
    variables in ``space.names`` order (Bool as 0/1).

    Finite actions take the ``argmax`` (or ``argmin``) output, ties to the first label;
    action variables take the outputs directly (``mode=None``).  Weights are taken as the
    exact rationals their floats hold, so evaluation and encoding are exact.
    """

    def __init__(
        self,
        space: Space,
        actions: ActionSpace,
        layers: Sequence[tuple[Any, Any]],
        mode: str | None = "argmax",
    ) -> None:
        super().__init__(space, actions)
        for name, var in space.variables.items():
            if isinstance(var, Choice):
                raise SpecError(f"MLPPolicy cannot take the Choice variable {name!r} as input")
        if not layers:
            raise SpecError("MLPPolicy needs at least one (weights, bias) layer")
        exact_layers: list[tuple[list[list[Fraction]], list[Fraction]]] = []
        width = len(space)
        for i, (w, b) in enumerate(layers):
            wo, bo = np.asarray(w, dtype=object), np.asarray(b, dtype=object)
            if wo.ndim != 2 or wo.shape[1] != width or bo.shape != (wo.shape[0],):
                raise SpecError(
                    f"layer {i}: weights {wo.shape} and bias {bo.shape} do not fit "
                    f"{width} inputs (weights must be (outputs, inputs))"
                )
            exact_layers.append(
                (
                    [
                        [_number(x, f"layer {i} weight [{r}][{c}]") for c, x in enumerate(row)]
                        for r, row in enumerate(wo)
                    ],
                    [_number(x, f"layer {i} bias [{r}]") for r, x in enumerate(bo)],
                )
            )
            width = wo.shape[0]
        # float64 copies for numpy; where a weight is not a float64 value (a Fraction such
        # as 1/3), ``errors`` bounds |exact - float| so sound float bounds can allow for it
        self.arrays = [
            (np.array(w, dtype=float).reshape(len(w), -1), np.array(b, dtype=float))
            for w, b in exact_layers
        ]
        self.errors = [
            (_gap(w, fw), _gap([b], fb[None, :])[0])
            for (w, b), (fw, fb) in zip(exact_layers, self.arrays, strict=True)
        ]
        outputs = len(actions.labels) if isinstance(actions, Actions) else len(self.action_names)
        if width != outputs:
            raise SpecError(f"the network has {width} outputs; the actions need {outputs}")
        if isinstance(actions, Actions) and mode not in ("argmax", "argmin"):
            raise SpecError(f"mode={mode!r}: finite actions need 'argmax' or 'argmin'")
        if not isinstance(actions, Actions) and mode is not None:
            raise SpecError("action variables take the network's outputs: use mode=None")
        self.mode = mode
        self.network = Network(
            tuple(Layer(tuple(tuple(row) for row in w), tuple(b)) for w, b in exact_layers)
        )

    @property
    def neurons(self) -> int:
        return sum(w.shape[0] for w, _ in self.arrays[:-1])

    def inputs(self, state: State) -> list[Fraction]:
        return [
            Fraction(int(state[n])) if isinstance(state[n], bool) else Fraction(state[n])
            for n in self.space.names
        ]

    def act(self, state: Mapping[str, object]) -> Action:
        out = self.network.forward(self.inputs(self.state_of(state)))
        if isinstance(self.actions, Actions):
            best = max(out) if self.mode == "argmax" else min(out)
            return self.actions.labels[out.index(best)]
        return dict(zip(self.action_names, out, strict=True))

    def forward_batch(self, states: np.ndarray) -> np.ndarray:
        x = np.asarray(states, dtype=float)
        for i, (w, b) in enumerate(self.arrays):
            x = x @ w.T + b
            if i < len(self.arrays) - 1:
                x = np.maximum(x, 0.0)
        return x

    def act_batch(self, states: np.ndarray) -> np.ndarray:
        out = self.forward_batch(states)
        if self.finite:
            pick = np.argmax if self.mode == "argmax" else np.argmin
            return np.asarray(pick(out, axis=1))
        return out

    def link(self, role: str, box: Sequence[Interval]) -> NetworkLink:
        """The solver's view of this policy in ``role``, with bounds over the input ``box``."""
        bounds = self.network.bounds(box)
        mode: Literal["argmax", "argmin", "affine"] = (
            "affine" if self.mode is None else "argmax" if self.mode == "argmax" else "argmin"
        )
        action = self.actions.name if isinstance(self.actions, Actions) else None
        return NetworkLink(
            role,
            self.network,
            self.space.names,
            mode,
            action,
            () if action else self.action_names,
            tuple(tuple(layer) for layer in bounds),
        )

    @classmethod
    def from_sklearn(
        cls,
        model: Any,
        space: Space,
        actions: ActionSpace,
        *,
        labels: Sequence[str] | None = None,
    ) -> MLPPolicy:
        """Wrap a fitted scikit-learn ``MLPClassifier`` (ReLU hidden layers; its classes must
        be the action labels) or ``MLPRegressor`` (one output per action variable), exactly.
        Integer classes (gymnasium's ``Discrete`` actions) take ``labels``: class k acts as
        ``labels[k]``, as in :meth:`TreePolicy.from_sklearn`.

        A binary classifier has one logit z (class 1 when z > 0, as ``predict`` does); it
        becomes the scores (0, z) for (class 0, class 1), whose argmax picks the same class
        (a tie z = 0 goes to class 0, as ``predict`` does)."""
        coefs = getattr(model, "coefs_", None)
        if coefs is None:
            raise SpecError(f"{type(model).__name__} is not a fitted scikit-learn MLP")
        if getattr(model, "activation", "relu") != "relu":
            raise SpecError(
                f"the MLP uses activation={model.activation!r}; only 'relu' networks are "
                "piecewise linear, so only they can be encoded exactly"
            )
        layers = [
            (np.asarray(w).T, np.asarray(b)) for w, b in zip(coefs, model.intercepts_, strict=True)
        ]
        classes = getattr(model, "classes_", None)
        if classes is None:  # a regressor: outputs are the action variables
            if labels is not None:
                raise SpecError("labels= maps classes to finite Actions; a regressor has none")
            return cls(space, actions, layers, mode=None)
        if not isinstance(actions, Actions):
            raise SpecError("a classifier picks labels: give Actions(...) of its classes")
        names = class_labels(list(classes), actions, labels, "classifier")
        if sorted(names) != sorted(actions.labels):
            raise LabelCountError(
                f"the classifier's classes {names} are not the actions {list(actions.labels)} "
                "(it must have been trained on every action)"
            )
        w, b = layers[-1]
        if w.shape[0] == 1:  # binary: logit z for class 1
            w = np.vstack([np.zeros_like(w), w])
            b = np.concatenate([np.zeros(1), b])
        order = [names.index(a) for a in actions.labels]  # scores in the actions' order
        layers[-1] = (w[order], b[order])
        if getattr(model, "out_activation_", "softmax") not in ("softmax", "logistic"):
            raise SpecError(f"unsupported output activation {model.out_activation_!r}")
        return cls(space, actions, layers, mode="argmax")

    @classmethod
    def from_onnx(
        cls,
        path: str | Path,
        space: Space | None = None,
        actions: ActionSpace | None = None,
        mode: str | None = "auto",
        *,
        input_bounds: object = None,
    ) -> MLPPolicy:
        """Load a Gemm / MatMul + Add / Relu (/ Flatten, Sub of a zero constant) graph.

        Without ``space`` the inputs are Real variables ``X_0 .. X_{n-1}`` (VNN-COMP's
        names) bounded by ``input_bounds``: one ``(lo, hi)`` for all, a sequence of n pairs,
        or by default ``[-2**20, 2**20]``.  Without ``actions`` the outputs are the action
        variables ``Y_0 .. Y_{m-1}`` (``mode=None``), bounded soundly over the input box
        (exact interval arithmetic, rounded outward to 3 significant digits).  ``mode="auto"``
        means ``"argmax"`` for finite Actions and ``None`` for action variables.

        Needs the optional ``onnx`` package (``pip install alignspec[onnx]``).
        """
        from alignspec.policy.onnx_import import layers_from_onnx, resolve

        layers = layers_from_onnx(Path(path))
        space, actions, mode = resolve(layers, space, actions, mode, input_bounds)
        return cls(space, actions, layers, mode)

    @classmethod
    def from_torch(
        cls,
        module: Any,
        space: Space | None = None,
        actions: ActionSpace | None = None,
        mode: str | None = "auto",
        *,
        input_bounds: object = None,
    ) -> MLPPolicy:
        """Wrap a PyTorch ``nn.Sequential`` of ``Linear`` and ``ReLU`` layers (``Identity``,
        ``Flatten`` and ``Dropout``, taken in evaluation mode, are skipped), exactly: each
        weight is the rational its float holds.  ``space``, ``actions``, ``mode`` and
        ``input_bounds`` mean what they mean for :meth:`from_onnx`.  Layers are read by
        duck typing (``weight``/``bias``), so torch itself is not imported here
        (``pip install alignspec[torch]`` to train)."""
        from alignspec.policy.onnx_import import resolve
        from alignspec.policy.torch_import import layers_from_torch

        layers = layers_from_torch(module)
        space, actions, mode = resolve(layers, space, actions, mode, input_bounds)
        return cls(space, actions, layers, mode)

"""Dense ReLU networks (MLPs) as policies: exact evaluation and a sound solver encoding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

from alignspec.actions import Actions, ActionSpace
from alignspec.errors import SpecError
from alignspec.policy.base import Action, Policy, exact
from alignspec.space import Choice, Space, State
from alignspec.symbolic.network import Interval, Layer, Network, NetworkLink


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
        self.arrays = [(np.asarray(w, dtype=float), np.asarray(b, dtype=float)) for w, b in layers]
        width = len(space)
        for i, (w, b) in enumerate(self.arrays):
            if w.ndim != 2 or w.shape[1] != width or b.shape != (w.shape[0],):
                raise SpecError(
                    f"layer {i}: weights {w.shape} and bias {b.shape} do not fit "
                    f"{width} inputs (weights must be (outputs, inputs))"
                )
            width = w.shape[0]
        outputs = len(actions.labels) if isinstance(actions, Actions) else len(self.action_names)
        if width != outputs:
            raise SpecError(f"the network has {width} outputs; the actions need {outputs}")
        if isinstance(actions, Actions) and mode not in ("argmax", "argmin"):
            raise SpecError(f"mode={mode!r}: finite actions need 'argmax' or 'argmin'")
        if not isinstance(actions, Actions) and mode is not None:
            raise SpecError("action variables take the network's outputs: use mode=None")
        self.mode = mode
        self.network = Network(
            tuple(
                Layer(
                    tuple(tuple(Fraction(exact(x)) for x in row) for row in w),
                    tuple(Fraction(exact(x)) for x in b),
                )
                for w, b in self.arrays
            )
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
    def from_onnx(
        cls, path: str | Path, space: Space, actions: ActionSpace, mode: str | None = "argmax"
    ) -> MLPPolicy:
        """Load a Gemm / MatMul + Add / Relu (/ Flatten, Sub of a zero constant) graph.

        Needs the optional ``onnx`` package (``pip install alignspec[onnx]``).
        """
        from alignspec.policy.onnx_import import layers_from_onnx

        return cls(space, actions, layers_from_onnx(Path(path)), mode)

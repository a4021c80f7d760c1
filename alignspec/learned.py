"""A learned policy paired with the spec it was trained on, for spec files and the CLI."""

from __future__ import annotations

from typing import Any

import attrs

from alignspec.errors import OptionError, SpecError
from alignspec.policy.base import Policy
from alignspec.spec import Expect, Spec, _caller


@attrs.frozen
class Learned:
    """Check the inner gap: does ``policy`` (trained against ``spec``) pursue its objective?

    ``train`` and ``deploy`` are regions (conditions over the state variables); with both,
    the report includes the distribution-shift check.  ``oversight`` names a Bool state
    variable (e.g. ``"supervised"``) whose value must not change the behaviour.  ``expect``
    is about the policy: "aligned" (every inner check PROVED) or "misaligned".  The spec's
    own outer checks run when the Spec itself is checked.
    """

    spec: Spec
    policy: Policy
    train: Any = None
    deploy: Any = None
    oversight: str | None = None
    name: str | None = None
    expect: Expect | None = None
    source: tuple[str, int] | None = attrs.field(
        factory=_caller, eq=False, repr=False, kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.spec, Spec):
            raise SpecError(f"Learned(spec=...) needs an alignspec.Spec, got {self.spec!r}")
        if not isinstance(self.policy, Policy):
            raise SpecError(f"Learned(policy=...) needs an alignspec policy, got {self.policy!r}")
        if self.expect not in (None, "aligned", "misaligned"):
            raise OptionError(f"expect={self.expect!r}; use 'aligned', 'misaligned' or None")

    @property
    def label(self) -> str:
        return self.name or f"{self.spec.label} (policy)"

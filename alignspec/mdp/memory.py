"""Fail early, with the model's size, when building a model would exhaust memory.

Enumerating states (``MDP.from_step``) and storing transitions grow without bound; past
the machine's memory the kernel kills the process with no message, or numpy raises a bare
``MemoryError``.  Builders call :func:`ensure_room` every few thousand states: it reads the
memory still available (Linux ``/proc/meminfo``; elsewhere it never objects) and raises a
:class:`ModelTooLargeError` that names how many states were built when less than
:data:`RESERVE` is left.
"""

from __future__ import annotations

from alignspec.errors import ModelTooLargeError

RESERVE = 512 * 2**20
"""Bytes kept free for the checks that follow the build (and everything else running)."""

EVERY = 16_384
"""Builders check the memory left once per this many states (reading it costs ~20 us)."""


def available_bytes() -> int | None:
    """Memory the kernel can still hand out without swapping, or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def ensure_room(what: str, built: int, unit: str = "states") -> None:
    """Raise ModelTooLargeError when less than RESERVE bytes of memory are left.

    ``what`` names the model being built and ``built`` how many ``unit`` it has so far.
    """
    left = available_bytes()
    if left is not None and left < RESERVE:
        raise ModelTooLargeError(
            f"{what}: memory ran out after {built:,} {unit} ({left / 2**20:.0f} MiB left): "
            "the model does not fit on this machine; make the state space smaller (coarser "
            "features, a shorter horizon) or use a machine with more memory"
        )

"""One calling convention for every check, and the old spellings kept for one release.

Every check takes its subject first (a spec, a policy, an MDP or a system), then what it
is checked against (the spec, an objective, the specified and intended rewards); every
other option is keyword-only and has the same name everywhere: ``region``, ``epsilon``,
``tolerance``, ``margin``, ``budget``, ``samples``.  :func:`renamed` lets the spellings of
0.1 (options passed by position, ``region_``, ``objective_``, ``r1``/``r2``) keep working
with a DeprecationWarning naming the new one.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def renamed(
    positional: int,
    old_order: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> Callable[[F], F]:
    """Accept the old spellings of a check whose first ``positional`` parameters are its
    only positional ones: arguments beyond them are read by ``old_order`` (the old
    parameter names, in order), and keywords in ``names`` are renamed (old -> new); each
    use warns once per call with the spelling to use instead."""
    names = dict(names or {})

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            said: list[str] = []
            if len(args) > positional:
                extra = args[positional:]
                if len(extra) > len(old_order) - positional:
                    raise TypeError(
                        f"{fn.__name__}() takes {positional} positional argument(s) "
                        f"but {len(args)} were given"
                    )
                for name, value in zip(old_order[positional:], extra, strict=False):
                    new = names.get(name, name)
                    if new in kwargs:
                        raise TypeError(f"{fn.__name__}() got {new!r} twice")
                    kwargs[new] = value
                    said.append(f"{new}=...")
                args = args[:positional]
            for old, new in names.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{fn.__name__}() got both {old!r} and {new!r}")
                    kwargs[new] = kwargs.pop(old)
                    said.append(f"{new}= (not {old}=)")
            if said:
                warnings.warn(
                    f"{fn.__name__}(): write {', '.join(said)} by keyword; the old spelling "
                    "goes away in the next release",
                    DeprecationWarning,
                    stacklevel=2,
                )
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def about(describe: Callable[[Any], str]) -> Callable[[F], F]:
    """Name the subject of every Finding the check returns, from its first argument (the
    spec, policy, MDP or system), where the check itself did not."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            out = fn(*args, **kwargs)
            from alignspec.results import Finding

            if isinstance(out, Finding) and not out.subject:
                import attrs

                first = args[0] if args else next(iter(kwargs.values()))
                out = attrs.evolve(out, subject=describe(first))
            return out

        return wrapper  # type: ignore[return-value]

    return decorate


def spec_label(spec: Any) -> str:
    return str(spec.label)


def mdp_label(mdp: Any) -> str:
    return str(mdp.label)


def system_label(system: Any) -> str:
    return str(system.name or "transition system")

"""Find Spec objects in spec files, directories of them, or importable modules.

Collection follows pytest's habits (documented in docs/spec-language.md, "Spec files"):

- a file named on the command line is loaded whatever its name;
- a directory is walked for spec files: every ``*.py`` inside a directory named ``specs``
  (the one given, or one below it) and, anywhere, files named ``*_spec.py`` or
  ``spec_*.py``; names starting with ``_`` and ``conftest.py`` are helpers, never loaded;
- the walk skips hidden directories, virtual environments (a directory holding
  ``pyvenv.cfg`` or ``conda-meta``), ``site-packages``, ``__pycache__``, ``build``,
  ``dist``, ``node_modules`` and ``*.egg-info``;
- each file's base directory (its own, or the first one above its package) goes first on
  ``sys.path`` and the file is imported under its module name, as pytest's "prepend" mode
  does, so a spec file can import its neighbour; a module imported twice is one module and
  a spec object reached from two files is collected once.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

import attrs
import sympy

from alignspec.errors import SpecError, SpecFileError
from alignspec.learned import Learned
from alignspec.mdp.spec import MDPSpec, Trajectories
from alignspec.spec import Spec

_SKIP_DIRS = {"__pycache__", "site-packages", "build", "dist", "node_modules"}


def _skipped_dir(path: Path) -> bool:
    name = path.name
    return (
        name.startswith(".")
        or name in _SKIP_DIRS
        or name.endswith(".egg-info")
        or (path / "pyvenv.cfg").exists()
        or (path / "conda-meta").is_dir()
    )


def _helper(path: Path) -> bool:
    return path.name.startswith("_") or path.name == "conftest.py"


def spec_files(root: Path) -> list[Path]:
    """The spec files under a directory, by the convention in this module's docstring."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(n for n in dirnames if not _skipped_dir(here / n))
        in_specs = "specs" in root.parts or "specs" in here.relative_to(root).parts
        for name in sorted(filenames):
            path = here / name
            if path.suffix != ".py" or _helper(path):
                continue
            if in_specs or name.endswith("_spec.py") or name.startswith("spec_"):
                found.append(path)
    return found


def _module_name(path: Path) -> tuple[str, Path]:
    """pytest's "prepend" import: the dotted name of ``path`` and the directory to put on
    ``sys.path`` (the first one upwards that is not a package)."""
    parts, base = [path.stem], path.parent
    while (base / "__init__.py").is_file():
        parts.insert(0, base.name)
        base = base.parent
    return ".".join(parts), base


def _same_file(module: ModuleType, path: Path) -> bool:
    where = getattr(module, "__file__", None)
    return where is not None and Path(where).resolve() == path.resolve()


def _forget(paths: Iterable[Path]) -> None:
    """Drop earlier imports of these files, so this load executes them afresh (the file may
    have changed) and every module importing one of them sees the same new objects."""
    for path in paths:
        name, _ = _module_name(path.resolve())
        module = sys.modules.get(name)
        if module is not None and _same_file(module, path):
            del sys.modules[name]


def _import_file(path: Path) -> ModuleType:
    path = path.resolve()
    name, base = _module_name(path)
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    existing = sys.modules.get(name)
    if existing is not None:
        if _same_file(existing, path):
            return existing  # imported already in this load (by a neighbour, say)
        # another file of the same module name (two directories' engagement.py): a private
        # name keeps both (pytest would refuse the second)
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
        name = f"_alignspec_specs_{path.stem}_{digest}"
    try:
        if "." in name and not name.startswith("_alignspec_specs_"):
            importlib.import_module(name.rpartition(".")[0])
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise SpecFileError(f"{path}: cannot be imported as a Python file")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module  # so worker processes can unpickle what it defines
        module_spec.loader.exec_module(module)
    except SpecError as err:
        sys.modules.pop(name, None)
        raise err.prefixed(str(path)) from None
    except Exception as err:  # a user's file may raise anything; report it, no traceback
        sys.modules.pop(name, None)
        line = _line_in(err, path)
        hint = ""
        if isinstance(err, sympy.SympifyError) and isinstance(err.expr, str):
            hint = (
                f"; sympy cannot compare with the string {err.expr!r}: for a Choice "
                f"variable write al.eq(v.<name>, {err.expr!r}) (al.ne for 'is not')"
            )
        raise SpecFileError(
            f"{path}{line}: importing the spec file failed: {type(err).__name__}: {err}{hint}"
        ) from None
    if "." in name and not name.startswith("_alignspec_specs_"):
        parent, _, child = name.rpartition(".")
        setattr(sys.modules[parent], child, module)
    return module


def _line_in(err: BaseException, path: Path) -> str:
    tb = err.__traceback__
    line = ""
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path.resolve():
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line


Target = Spec | Learned | MDPSpec | Trajectories
TARGETS = (Spec, Learned, MDPSpec, Trajectories)


def specs_in(module: ModuleType, seen: set[int] | None = None) -> list[Target]:
    """Module-level Specs and Learned policies, also inside module-level lists and tuples,
    in file order; objects whose ``id`` is in ``seen`` (collected from another module
    already) are left out, and those found are added to it."""
    return [target for target, _, _ in _found(module, seen)]


def _found(module: ModuleType, seen: set[int] | None) -> list[tuple[Target, str, int | None]]:
    """:func:`specs_in`, each with its module attribute and index in it (None: the
    attribute itself), which find it again in a fresh import of the module."""
    seen = set() if seen is None else seen
    found: list[tuple[Target, str, int | None]] = []
    for attr, obj in vars(module).items():
        if attr.startswith("_"):
            continue
        listed = isinstance(obj, (list, tuple))
        items: Iterable[object] = obj if listed else [obj]
        for i, item in enumerate(items):
            if isinstance(item, TARGETS) and id(item) not in seen:
                seen.add(id(item))
                found.append(
                    (_named(item, attr, i if listed else None), attr, i if listed else None)
                )
    return found


def _named(item: Target, attr: str, index: int | None) -> Target:
    """A target without a name is called after the module attribute that holds it."""
    if item.name is not None:
        return item
    return attrs.evolve(
        item, name=attr if index is None else f"{attr}[{index}]", source=item.source
    )


@attrs.frozen
class Ref:
    """Where a collected target lives, so another process can load it again by path: the
    spec file (absolute path) or module name, the module attribute holding it, its index
    when that attribute is a list or tuple, and the file's SHA-256 when it was collected
    (a worker seeing another file refuses it rather than check something else)."""

    origin: str
    attr: str
    index: int | None
    digest: str | None
    label: str


def load(paths: Sequence[str]) -> list[Target]:
    """All Specs from the given files, directories (their spec files: see this module's
    docstring) and dotted module names; a spec object reached twice is collected once."""
    return [target for target, _ in locate(paths)]


def locate(paths: Sequence[str]) -> list[tuple[Target, Ref]]:
    """:func:`load`, each target with the :class:`Ref` that :func:`fetch` loads it by."""
    specs: list[tuple[Target, Ref]] = []
    seen: set[int] = set()
    plan: list[tuple[str, list[Path] | None]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = spec_files(path)
            if not files:
                raise SpecFileError(
                    f"{path}: no spec files in it: put them in a specs/ directory, name them "
                    "*_spec.py or spec_*.py, or name the file on the command line"
                )
            plan.append((raw, files))
        elif path.suffix == ".py":
            if not path.is_file():
                raise SpecFileError(f"{path}: no such file")
            plan.append((raw, [path]))
        else:
            plan.append((raw, None))
    _forget(f for _, listed in plan for f in listed or ())
    for raw, named in plan:
        modules: list[tuple[str, str | None, ModuleType]]
        if named is None:
            try:
                modules = [(raw, None, importlib.import_module(raw))]
            except ImportError as err:
                raise SpecFileError(
                    f"{raw}: neither a .py file, a directory nor an importable module ({err})"
                ) from None
        else:
            modules = [(str(f.resolve()), _digest(f), _import_file(f)) for f in named]
        before = len(seen)
        for origin, digest, module in modules:
            specs.extend(
                (target, Ref(origin, attr, index, digest, target.label))
                for target, attr, index in _found(module, seen)
            )
        if len(seen) == before and not any(specs_in(m) for _, _, m in modules):
            what = (
                "module defines"
                if named is None
                else "its spec files define"
                if Path(raw).is_dir()
                else "defines"
            )
            raise SpecFileError(f"{raw}: {what} no Spec at module level")
    return specs


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: Modules :func:`fetch` imported in this process, by (origin, digest).
_FETCHED: dict[tuple[str, str | None], ModuleType] = {}


def fetch(ref: Ref) -> Target:
    """The target ``ref`` names, loaded here by path (each file once per process and
    version): how a worker of a cluster gets a spec without anything being pickled but
    the path.  The worker must see the same file at the same path (a shared file system
    or the same checkout); a missing or different file raises :class:`SpecFileError`."""
    module = _FETCHED.get((ref.origin, ref.digest))
    if module is None:
        if ref.digest is None:
            try:
                module = importlib.import_module(ref.origin)
            except ImportError as err:
                raise SpecFileError(f"{ref.origin}: cannot be imported here ({err})") from None
        else:
            path = Path(ref.origin)
            seen = _digest(path) if path.is_file() else None
            if seen != ref.digest:
                import socket

                state = "has no such file" if seen is None else "has a different version of it"
                raise SpecFileError(
                    f"{ref.origin}: the worker on {socket.gethostname()} {state}: workers "
                    "load spec files by path, so they need the same files at the same paths "
                    "(a shared file system or the same checkout; see docs/cluster.md)"
                )
            _forget([path])
            module = _import_file(path)
        _FETCHED[(ref.origin, ref.digest)] = module
    item = getattr(module, ref.attr, None)
    if ref.index is not None:
        listed = item if isinstance(item, (list, tuple)) else ()
        item = listed[ref.index] if ref.index < len(listed) else None
    target = _named(item, ref.attr, ref.index) if isinstance(item, TARGETS) else None
    if target is None or target.label != ref.label:
        raise SpecFileError(f"{ref.origin}: no spec {ref.label!r} at {ref.attr} any more")
    return target

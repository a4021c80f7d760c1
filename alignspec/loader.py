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
    seen = set() if seen is None else seen
    found: list[Target] = []
    for attr, obj in vars(module).items():
        if attr.startswith("_"):
            continue
        items: Iterable[object] = obj if isinstance(obj, (list, tuple)) else [obj]
        for i, item in enumerate(items):
            if isinstance(item, TARGETS) and id(item) not in seen:
                seen.add(id(item))
                if item.name is None:
                    item = attrs.evolve(
                        item, name=attr if item is obj else f"{attr}[{i}]", source=item.source
                    )
                found.append(item)
    return found


def load(paths: Sequence[str]) -> list[Target]:
    """All Specs from the given files, directories (their spec files: see this module's
    docstring) and dotted module names; a spec object reached twice is collected once."""
    specs: list[Target] = []
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
        if named is None:
            try:
                modules = [importlib.import_module(raw)]
            except ImportError as err:
                raise SpecFileError(
                    f"{raw}: neither a .py file, a directory nor an importable module ({err})"
                ) from None
        else:
            modules = [_import_file(f) for f in named]
        before = len(seen)
        specs.extend(s for m in modules for s in specs_in(m, seen))
        if len(seen) == before and not any(specs_in(m) for m in modules):
            what = (
                "module defines"
                if named is None
                else "its spec files define"
                if Path(raw).is_dir()
                else "defines"
            )
            raise SpecFileError(f"{raw}: {what} no Spec at module level")
    return specs

"""Find Spec objects in spec files, directories of them, or importable modules."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

import attrs

from alignspec.errors import SpecError, SpecFileError
from alignspec.learned import Learned
from alignspec.mdp.spec import MDPSpec, Trajectories
from alignspec.spec import Spec


def _import_file(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = f"_alignspec_specs_{path.stem}_{digest}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise SpecFileError(f"{path}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # so worker processes can unpickle what it defines
    try:
        module_spec.loader.exec_module(module)
    except SpecError as err:
        raise err.prefixed(str(path)) from None
    except Exception as err:  # a user's file may raise anything; report it, no traceback
        line = _line_in(err, path)
        raise SpecFileError(
            f"{path}{line}: importing the spec file failed: {type(err).__name__}: {err}"
        ) from None
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


def specs_in(module: ModuleType) -> list[Target]:
    """Module-level Specs and Learned policies, also inside module-level lists and tuples,
    in file order."""
    found: list[Target] = []
    for attr, obj in vars(module).items():
        if attr.startswith("_"):
            continue
        items: Iterable[object] = obj if isinstance(obj, (list, tuple)) else [obj]
        for i, item in enumerate(items):
            if isinstance(item, TARGETS) and not any(item is s for s in found):
                if item.name is None:
                    item = attrs.evolve(
                        item, name=attr if item is obj else f"{attr}[{i}]", source=item.source
                    )
                found.append(item)
    return found


def load(paths: Sequence[str]) -> list[Target]:
    """All Specs from the given files, directories (their ``*.py``, recursively, skipping
    names starting with ``_``) and dotted module names."""
    specs: list[Target] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.py") if not p.name.startswith("_"))
            found = [s for f in files for s in specs_in(_import_file(f))]
            if not found:
                raise SpecFileError(f"{path}: no Spec objects found in its .py files")
        elif path.suffix == ".py":
            if not path.is_file():
                raise SpecFileError(f"{path}: no such file")
            found = specs_in(_import_file(path))
            if not found:
                raise SpecFileError(f"{path}: defines no Spec at module level")
        else:
            try:
                module = importlib.import_module(raw)
            except ImportError as err:
                raise SpecFileError(
                    f"{raw}: neither a .py file, a directory nor an importable module ({err})"
                ) from None
            found = specs_in(module)
            if not found:
                raise SpecFileError(f"{raw}: module defines no Spec at module level")
        specs.extend(found)
    return specs

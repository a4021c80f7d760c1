"""The code stays typed, linted and inside its architecture."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "alignspec"


def test_only_the_solver_package_imports_z3():
    offenders = [
        str(p.relative_to(ROOT))
        for p in PACKAGE.rglob("*.py")
        if "solver" not in p.relative_to(PACKAGE).parts
        and re.search(r"^\s*(import z3|from z3)", p.read_text(), re.MULTILINE)
    ]
    assert offenders == []


#: The layers, bottom up (docs/contributing.md draws them).  A module may import its own
#: package and any package in an earlier layer, never a later one.
LAYERS = [
    {"errors", "space", "registry", "execution"},
    {"symbolic", "solver"},
    {"actions", "results", "spec", "replay", "engine", "sampling", "strategies", "policy"},
    {"neural"},
    {"checking"},
    {"outer", "inner", "mdp"},
    {
        "learned",
        "runner",
        "loader",
        "suite",
        "assertions",
        "report",
        "certificates",
        "vnn",
        "integrations",
    },
    {"cli", "pytest_plugin", "__init__", "__main__"},
]
FAMILIES = {"outer", "inner", "mdp"}
#: Bridges to optional tools: lower layers reach them only by a lazy import inside a
#: delegating method (``Space.from_gym`` -> ``alignspec.integrations.gym``); likewise the
#: text renderer behind ``Report.__str__``.
LAZY_ONLY = {"integrations", "report"}


def _unit(path):
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _layer(unit):
    (index,) = [i for i, layer in enumerate(LAYERS) if unit in layer]
    return index


def test_imports_follow_the_layers():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        unit = _unit(path)
        for indent, target in re.findall(
            r"^([ \t]*)(?:from|import) alignspec\.(\w+)", path.read_text(), re.M
        ):
            if target == unit or (target in LAZY_ONLY and indent):
                continue
            private = re.search(
                rf"^\s*from alignspec\.{target}\._\w+ import", path.read_text(), re.M
            )
            if target in FAMILIES and unit in FAMILIES:
                # a family uses a sibling only through its public functions, lazily
                if private:
                    wrong.append(
                        f"{path.relative_to(ROOT)} imports alignspec.{target}'s private module"
                    )
                continue
            if _layer(target) > _layer(unit):
                wrong.append(f"{path.relative_to(ROOT)} ({unit}) imports alignspec.{target}")
    assert wrong == []


def test_checks_do_not_import_the_cli():
    for p in (PACKAGE / "outer").rglob("*.py"):
        assert "alignspec.cli" not in p.read_text(), p


def test_public_api_is_exported():
    import alignspec as al

    for name in al.__all__:
        assert hasattr(al, name), name


PYTHON = ["alignspec", "_alignspec_pytestplugin.py", "tests", "specs", "bench", "examples"]


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "mypy", "--strict", "alignspec", "_alignspec_pytestplugin.py"],
        [sys.executable, "-m", "ruff", "check", *PYTHON],
        [sys.executable, "-m", "ruff", "format", "--check", *PYTHON],
    ],
    ids=["mypy", "ruff", "ruff-format"],
)
def test_static_checks(command):
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr


def test_python_blocks_in_the_docs_are_formatted():
    unformatted = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text()
        for block in re.finditer(r"```python\n(.*?)```", text, re.S):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ruff",
                    "format",
                    "--check",
                    "--stdin-filename",
                    "b.py",
                    "-",
                ],
                input=block.group(1),
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if out.returncode != 0:
                line = text[: block.start()].count("\n") + 1
                unformatted.append(f"{path.relative_to(ROOT)}:{line}")
    assert unformatted == [], "ruff format these code blocks: " + ", ".join(unformatted)

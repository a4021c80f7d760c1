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


def test_checks_do_not_import_the_cli():
    for p in (PACKAGE / "outer").rglob("*.py"):
        assert "alignspec.cli" not in p.read_text(), p


def test_public_api_is_exported():
    import alignspec as al

    for name in al.__all__:
        assert hasattr(al, name), name


PYTHON = ["alignspec", "_alignspec_pytestplugin.py", "tests", "specs", "bench"]


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

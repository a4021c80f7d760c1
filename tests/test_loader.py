"""Spec collection: which files the loader imports, under what name, and how often."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import alignspec as al
from alignspec.loader import load, spec_files

ROOT = Path(__file__).resolve().parent.parent

SPEC = """
    import alignspec as al
    s = al.Space(x=al.Real(0, 10))
    {name} = al.Spec(space=s, reward=s.vars.x, intent=al.Intent(s.vars.x), name="{name}")
"""


def put(root, rel, body=""):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body))
    return path


def test_a_directory_is_walked_by_the_convention_and_skips_environments(tmp_path):
    put(tmp_path, "specs/one.py", SPEC.format(name="one"))
    put(tmp_path, "specs/deeper/two.py", SPEC.format(name="two"))
    put(tmp_path, "specs/_helper.py", "raise RuntimeError('a helper is not a spec')")
    put(tmp_path, "specs/conftest.py", "raise RuntimeError('conftest is not a spec')")
    put(tmp_path, "pkg/reward_spec.py", SPEC.format(name="three"))
    put(tmp_path, "pkg/spec_four.py", SPEC.format(name="four"))
    put(tmp_path, "scripts/deploy.py", "raise SystemExit('a script must never run')")
    put(tmp_path, ".venv/pyvenv.cfg", "home = /usr\n")
    put(tmp_path, ".venv/lib/specs/x_spec.py", "raise RuntimeError('venv')")
    put(tmp_path, "env/pyvenv.cfg", "home = /usr\n")
    put(tmp_path, "env/lib/site-packages/specs/broken.py", "raise RuntimeError('venv')")
    put(tmp_path, "lib/site-packages/specs/broken.py", "raise RuntimeError('site')")
    for skipped in ("build", "dist", "__pycache__", ".git", "node_modules", "x.egg-info"):
        put(tmp_path, f"{skipped}/specs/bad_spec.py", "raise RuntimeError('skipped')")
    found = [p.relative_to(tmp_path).as_posix() for p in spec_files(tmp_path)]
    assert found == [
        "pkg/reward_spec.py",
        "pkg/spec_four.py",
        "specs/one.py",
        "specs/deeper/two.py",
    ]
    assert [t.label for t in load([str(tmp_path)])] == ["three", "four", "one", "two"]


def test_a_named_file_loads_whatever_its_name(tmp_path):
    path = put(tmp_path, "anything.py", SPEC.format(name="named"))
    assert [t.label for t in load([str(path)])] == ["named"]


def test_a_directory_without_spec_files_says_where_they_go(tmp_path):
    put(tmp_path, "tool.py", "raise SystemExit('never run')")
    with pytest.raises(al.SpecFileError, match=r"no spec files in it: put them in a specs/"):
        load([str(tmp_path)])


def test_a_spec_imports_its_neighbour_and_a_shared_spec_is_collected_once(tmp_path):
    put(tmp_path, "specs/common.py", SPEC.format(name="shared"))
    put(tmp_path, "specs/a.py", "from common import shared\nalias = shared\n")
    put(tmp_path, "specs/b.py", "import common\nagain = common.shared\n")
    targets = load([str(tmp_path / "specs")])
    assert [t.label for t in targets] == ["shared"]
    # and the same when only the importing file is named
    assert [t.label for t in load([str(tmp_path / "specs" / "a.py")])] == ["shared"]


def test_a_package_spec_imports_by_its_package_name(tmp_path):
    put(tmp_path, "proj/__init__.py")
    put(tmp_path, "proj/models.py", SPEC.format(name="pkg_spec"))
    put(tmp_path, "proj/specs/__init__.py")
    put(tmp_path, "proj/specs/check_me.py", "from proj.models import *\nfrom ..models import *\n")
    assert [t.label for t in load([str(tmp_path / "proj" / "specs")])] == ["pkg_spec"]


def test_an_edited_file_is_loaded_afresh(tmp_path):
    path = put(tmp_path, "specs/edited.py", SPEC.format(name="before"))
    assert [t.label for t in load([str(path)])] == ["before"]
    put(tmp_path, "specs/edited.py", SPEC.format(name="after"))
    assert [t.label for t in load([str(path)])] == ["after"]


def test_two_files_of_one_name_in_two_directories_both_load(tmp_path):
    put(tmp_path, "a/specs/same.py", SPEC.format(name="first"))
    put(tmp_path, "b/specs/same.py", SPEC.format(name="second"))
    targets = load([str(tmp_path / "a" / "specs"), str(tmp_path / "b" / "specs")])
    assert [t.label for t in targets] == ["first", "second"]


def test_check_dot_in_the_repository_skips_the_virtual_environment():
    """`alignspec check .` from the checkout: its .venv (with PIL and every other package)
    is not imported, tests/ and bench/ are not executed, the bundled specs are."""
    out = subprocess.run(
        [sys.executable, "-m", "alignspec", "check", ".", "--json", "--checks", "inversion"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # (one check only: the misaligned specs' other checks are what violate them)
    assert out.returncode in (0, 1) and out.stderr == ""
    names = [s["spec"] for s in json.loads(out.stdout)["specs"]]
    assert names == [t.label for t in load([str(ROOT / "specs")])] and len(names) == 20

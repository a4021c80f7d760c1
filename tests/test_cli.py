"""The command line, through a subprocess: exit codes, output and the JSON schema."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "alignspec", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


GOOD = """
    import alignspec as al
    s = al.Space(x=al.Real(0, 10))
    aligned = al.Spec(space=s, reward=2 * s.vars.x, intent=al.Intent(s.vars.x), expect="aligned")
"""


@pytest.fixture(scope="module")
def bundled_json():
    out = run("check", "--json", "--points", "4", "-j", "2")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_default_path_is_specs_and_all_expectations_hold(bundled_json):
    doc = bundled_json
    assert doc["schema"] == "alignspec-report/1" and doc["ok"] is True
    assert set(doc["solvers"]) == {"z3"}
    names = {s["spec"] for s in doc["specs"]}
    assert {
        "engagement-vs-wellbeing",
        "delivery-time-only",
        "tests-passed-proxy",
        "thermostat-affine",
    } <= names


def test_json_schema_of_a_finding(bundled_json):
    spec = next(s for s in bundled_json["specs"] if s["spec"] == "engagement-vs-wellbeing")
    assert spec["expect"] == "misaligned" and spec["verdict"] == "violated"
    assert spec["meets_expectation"] is True
    assert spec["source"]["file"].endswith("specs/engagement.py") and spec["source"]["line"] > 0
    hacking = next(f for f in spec["findings"] if f["check"] == "hacking")
    assert set(hacking) >= {
        "check",
        "verdict",
        "method",
        "message",
        "reason",
        "witness",
        "values",
        "figures",
        "options",
        "elapsed",
        "stats",
    }
    assert hacking["figures"]["regret"] == 20
    assert hacking["witness"]["s"]["clickbait"] is True
    curve = next(f for f in spec["findings"] if f["check"] == "goodhart_curve")["curve"]
    assert len(curve["points"]) == 4 and curve["goodhart_threshold"] == 0


def test_text_output_has_a_table_with_witnesses(tmp_path):
    out = run("check", str(write(tmp_path, "good.py", GOOD)))
    assert out.returncode == 0
    assert "aligned" in out.stdout and "PROVED" in out.stdout
    assert "1 spec(s): 1 proved, 0 violated, 0 unknown; all as expected" in out.stdout


def test_unmet_expectation_exits_1(tmp_path):
    path = write(tmp_path, "wrong.py", GOOD.replace('expect="aligned"', 'expect="misaligned"'))
    out = run("check", str(path))
    assert out.returncode == 1
    assert "NOT AS EXPECTED" in out.stdout and "1 not as expected: aligned" in out.stdout


def test_unknown_does_not_meet_an_expectation(tmp_path):
    out = run("check", "--rlimit", "1", "--samples", "0", str(write(tmp_path, "g.py", GOOD)))
    assert out.returncode == 1 and "UNKNOWN" in out.stdout and "rlimit budget of 1" in out.stdout


def test_spec_error_exits_2_with_message_and_no_traceback(tmp_path):
    path = write(
        tmp_path,
        "bad.py",
        """
        import alignspec as al, sympy
        s = al.Space(x=al.Real(0, 10))
        bad = al.Spec(space=s, reward=s.vars.x + sympy.Symbol("ghost"))
    """,
    )
    out = run("check", str(path))
    assert out.returncode == 2
    assert "bad.py" in out.stderr and "`ghost`" in out.stderr and "Traceback" not in out.stderr


def test_broken_spec_file_exits_2_naming_file_and_line(tmp_path):
    path = write(tmp_path, "broken.py", "import alignspec\n\nraise RuntimeError('boom')\n")
    out = run("check", str(path))
    assert out.returncode == 2
    assert "broken.py:3" in out.stderr and "RuntimeError: boom" in out.stderr
    assert "Traceback" not in out.stderr


def test_usage_errors_exit_2(tmp_path):
    assert run("check", str(tmp_path / "missing.py")).returncode == 2
    assert run("check", "no.such.module").returncode == 2
    empty = write(tmp_path, "empty.py", "x = 1\n")
    out = run("check", str(empty))
    assert out.returncode == 2 and "defines no Spec" in out.stderr
    assert run("check", "--checks", "nope", str(empty)).returncode == 2
    assert run("frobnicate").returncode == 2


def test_lists_of_specs_and_checks_subset(tmp_path):
    path = write(
        tmp_path,
        "many.py",
        """
        import alignspec as al
        s = al.Space(x=al.Real(0, 10))
        x = s.vars.x
        family = [al.Spec(space=s, reward=k * x, intent=al.Intent(x)) for k in (1, -1)]
    """,
    )
    out = run("check", "--json", "--checks", "inversion", str(path))
    doc = json.loads(out.stdout)
    assert [s["spec"] for s in doc["specs"]] == ["family[0]", "family[1]"]
    assert [s["verdict"] for s in doc["specs"]] == ["proved", "violated"]
    assert all([f["check"] for f in s["findings"]] == ["inversion"] for s in doc["specs"])
    assert out.returncode == 0  # no expectations set


def test_junit_output(tmp_path):
    import xml.etree.ElementTree as ET

    wrong = write(tmp_path, "wrong.py", GOOD.replace('expect="aligned"', 'expect="misaligned"'))
    out = run("check", "--format", "junit", str(write(tmp_path, "good.py", GOOD)), str(wrong))
    root = ET.fromstring(out.stdout)
    assert root.tag == "testsuites" and root.get("tests") == "7" and root.get("failures") == "1"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["aligned", "aligned"]
    names = [c.get("name") for c in suites[1].findall("testcase")]
    assert names == ["inversion", "hacking", "goodhart_curve", "expect"]
    assert suites[1].find("testcase[@name='expect']/failure").get("message") == (
        "expected misaligned"
    )


def test_sarif_output(tmp_path):
    bad = write(tmp_path, "bad.py", GOOD.replace("reward=2 * s.vars.x", "reward=-s.vars.x"))
    out = run("check", "--format", "sarif", str(bad))
    doc = json.loads(out.stdout)
    assert doc["version"] == "2.1.0" and doc["runs"][0]["tool"]["driver"]["name"] == "alignspec"
    results = doc["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"inversion", "hacking", "goodhart_curve"}
    location = results[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("bad.py")
    assert location["region"]["startLine"] == 4
    assert results[0]["level"] == "error" and results[0]["properties"]["witness"]
    rules = {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules == {"inversion", "hacking", "goodhart_curve"}


def test_checks_and_budgets_reach_mdp_and_system_targets():
    out = run("check", "--json", "--checks", "regret,bmc", "specs/boat_race.py")
    doc = json.loads(out.stdout)
    checks = {s["spec"]: [f["check"] for f in s["findings"]] for s in doc["specs"]}
    assert checks["boat-race"] == ["regret"] and checks["boat-race-bmc"] == ["bmc"]
    starved = run("check", "--json", "--rlimit", "1", "--samples", "0", "specs/boat_race.py")
    verdicts = {s["spec"]: s["verdict"] for s in json.loads(starved.stdout)["specs"]}
    assert verdicts["boat-race-bmc"] == "unknown"  # --rlimit reached bmc


def _wait_until_working(proc, settle=3.0):
    """Until the CLI has loaded z3 (imports done: on a loaded machine they alone can take
    seconds, and Ctrl-C there is Python's, not ours), then ``settle`` seconds more."""
    import time
    from pathlib import Path

    maps = Path(f"/proc/{proc.pid}/maps")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if "libz3" in maps.read_text():
                break
        except OSError:
            break  # not Linux: fall back to the settle time alone
        time.sleep(0.1)
    time.sleep(settle)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_a_long_check_at_once(jobs):
    import signal
    import time

    acas = ROOT.parent / "shared" / "benchmarks" / "acasxu"
    if not acas.exists():
        pytest.skip("the ACAS Xu benchmark is not beside this checkout")
    net = acas / "onnx" / "ACASXU_run2a_3_3_batch_2000.onnx"  # the slowest instance: ~45 s
    proc = subprocess.Popen(
        [sys.executable, "-m", "alignspec", "vnn", str(net), str(acas / "vnnlib" / "prop_2.vnnlib")]
        + ["--timeout", "100", "-j", jobs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )
    _wait_until_working(proc)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 15
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err

"""Runs people can watch: streamed reports, JSON Lines, a progress line naming what runs,
timeouts that say so, a default wall-clock limit, and Ctrl-C keeping what finished."""

import io
import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import z3

import alignspec as al
from alignspec import cli
from alignspec.solver import Budget
from alignspec.solver.backend import _reason

ROOT = Path(__file__).resolve().parent.parent

# a fast spec, then one whose inversion check sleeps (the runner's check is replaced in
# the spec file itself, so the slow part is certain on any machine)
SLOW = """
    import time
    import alignspec as al
    import alignspec.runner as runner

    _inversion = runner.inversion

    def _slow(spec, **kw):
        if spec.name == "slow":
            time.sleep({seconds})
        return _inversion(spec, **kw)

    runner.inversion = _slow
    s = al.Space(x=al.Real(0, 10))
    fast = al.Spec(space=s, reward=2 * s.vars.x, intent=al.Intent(s.vars.x), name="fast",
                   expect="aligned")
    slow = al.Spec(space=s, reward=3 * s.vars.x, intent=al.Intent(s.vars.x), name="slow",
                   expect="aligned")
"""


def _spec_file(tmp_path, seconds):
    path = tmp_path / "slow_spec.py"
    path.write_text(textwrap.dedent(SLOW.replace("{seconds}", str(seconds))))
    return path


def _start(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "alignspec", "check", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )


def _read_until(proc, marker):
    lines = []
    while True:
        line = proc.stdout.readline()
        assert line, f"output ended before {marker!r}: {lines}"
        lines.append(line)
        if marker in line:
            return lines


def test_text_reports_stream_per_spec_and_ctrl_c_keeps_what_finished(tmp_path):
    proc = _start(str(_spec_file(tmp_path, 60)), "--checks", "inversion")
    try:
        lines = _read_until(proc, "verdict PROVED: ok")
        assert lines[0].startswith("fast  (")
        assert proc.poll() is None  # "slow" is still running: "fast" was streamed
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "slow" not in out and "spec(s):" not in out  # no summary of an unfinished run
    assert err.splitlines() == [
        "alignspec: 1 of 2 spec(s) finished before the interrupt: fast PROVED; not finished: slow",
        "alignspec: interrupted",
    ]


def test_ctrl_c_with_workers_stops_them_and_keeps_what_finished(tmp_path):
    proc = _start(str(_spec_file(tmp_path, 60)), "--checks", "inversion", "-j", "2")
    try:
        _read_until(proc, "verdict PROVED: ok")
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert time.monotonic() - sent < 10  # the sleeping worker is not waited for
    assert proc.returncode == 130 and "Traceback" not in err
    assert "1 of 2 spec(s) finished before the interrupt: fast PROVED" in err


def test_json_lines_one_line_per_spec_then_a_summary(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "alignspec", "check", "--format", "jsonl", "--checks"]
        + ["inversion", str(_spec_file(tmp_path, 0))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(d["type"], d.get("spec")) for d in lines] == [
        ("spec", "fast"),
        ("spec", "slow"),
        ("summary", None),
    ]
    assert lines[0]["verdict"] == "proved" and lines[0]["findings"][0]["check"] == "inversion"
    summary = lines[-1]
    assert summary["schema"] == "alignspec-report-lines/1" and summary["ok"] is True
    assert summary["specs"] == 2
    assert summary["verdicts"] == {"proved": 2, "unknown": 0, "violated": 0}


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_names_the_check_that_is_running_not_the_last_finished():
    s = al.Space(x=al.Real(0, 10))
    spec = al.Spec(space=s, reward=2 * s.vars.x, intent=al.Intent(s.vars.x), name="two")
    tty = Terminal()
    seen = []
    task = cli._Task(Budget(), 0, 3, ("inversion", "hacking"))
    reports = cli.run(
        [spec], task, on_report=lambda r: seen.append(tty.getvalue()), progress=cli.Progress(1, tty)
    )
    assert [f.check for f in reports[0].findings] == ["inversion", "hacking"]
    shown = seen[0].split("\r\033[K")
    assert shown == ["", "[0/1] running two: inversion", "[0/1] running two: hacking", "[1/1]", ""]
    assert tty.getvalue().endswith("\r\033[K")  # wiped at the end


def test_progress_stays_off_when_stderr_is_not_a_terminal():
    quiet = io.StringIO()
    p = cli.Progress(3, quiet)
    p.start("a", "inversion")
    p.finish("a")
    p.close()
    assert quiet.getvalue() == ""


def test_the_cli_has_a_default_wall_clock_limit_per_check_that_can_be_raised_or_disabled():
    parse = cli._parser().parse_args
    assert parse(["check"]).timeout == cli.DEFAULT_TIMEOUT == 300.0
    assert parse(["check", "--timeout", "900"]).timeout == 900.0
    assert parse(["check", "--timeout", "0"]).timeout is None
    assert parse(["check", "--timeout", "none"]).timeout is None


@pytest.mark.parametrize("bad", ["-1", "soon", "nan"])
def test_a_bad_timeout_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as stop:
        cli._parser().parse_args(["check", "--timeout", bad])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --timeout: {bad!r}" in err and "(0 or 'none': no limit)" in err


class _GaveUp:
    """A solver that answered unknown with a bare reason (as z3's optimiser can when its
    time is cut)."""

    def __init__(self, raw):
        self.raw = raw

    def reason_unknown(self):
        return self.raw

    def statistics(self):
        return z3.Solver().statistics()


@pytest.mark.parametrize("raw", ["unknown", "(incomplete (theory arithmetic))", "canceled"])
def test_a_spent_wall_clock_budget_is_reported_as_a_timeout(raw):
    spent = Budget(rlimit=None, timeout=2.0, deadline=time.monotonic() - 1)
    assert _reason(_GaveUp(raw), spent, nonlinear=True, started=time.perf_counter()) == (
        "timeout after 2.0 s"
    )
    fresh = Budget(rlimit=None, timeout=2.0).start()
    assert _reason(_GaveUp("unknown"), fresh, False, time.perf_counter()) == (
        "z3 answered unknown (unknown)"
    )

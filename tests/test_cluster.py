"""Specs, checks, curve points and branch-and-bound shares on a real Dask cluster: a
LocalCluster of two worker processes (one per module), compared with local runs."""

import json
import os
import signal
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import alignspec as al
from alignspec import cli, execution
from alignspec.engine import SAMPLES
from alignspec.loader import fetch, locate

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parent.parent
ACAS = ROOT.parent / "shared" / "benchmarks" / "acasxu"
BUDGET = al.Budget(timeout=cli.DEFAULT_TIMEOUT)  # what `alignspec check` gives every check


def plain(doc):
    """A report without what may differ between runs (seconds, solver statistics)."""
    if isinstance(doc, dict):
        return {k: plain(v) for k, v in doc.items() if k not in ("elapsed", "stats")}
    if isinstance(doc, list):
        return [plain(x) for x in doc]
    return doc


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=50,
    )
    with distributed.Client(cluster, set_as_default=False) as c:
        c.wait_for_workers(2, timeout=60)
        yield c
    cluster.close()


def check_json(capsys, monkeypatch, *args):
    monkeypatch.chdir(ROOT)
    code = cli.main(["check", "specs", "--json", "--points", "4", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


@pytest.fixture(scope="module")
def local_report():
    """The bundled specs checked in this process, one after another."""
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        specs = [t for t, _ in locate(["specs"])]
        task = cli._Task(BUDGET, SAMPLES, 4, None)
        return [plain(r.to_dict()) for r in cli.run(specs, task)]
    finally:
        os.chdir(here)


def test_the_cluster_gives_the_local_report(client, local_report, capsys, monkeypatch):
    code, doc, _ = check_json(capsys, monkeypatch, "--scheduler", client.scheduler.address)
    assert code == 0 and doc["ok"] is True
    assert plain(doc["specs"]) == local_report
    assert len(local_report) == len(locate([str(ROOT / "specs")])) >= 21  # each bundled spec once


def test_a_killed_worker_loses_nothing(client, local_report, monkeypatch):
    """SIGKILL a worker process while it runs a spec: Dask runs the spec again elsewhere
    and the report is the local one, spec for spec."""
    monkeypatch.chdir(ROOT)
    located = locate(["specs"])
    specs, refs = [t for t, _ in located], [r for _, r in located]
    task = cli._Task(BUDGET, SAMPLES, 4, None)
    before = client.run(os.getpid)
    killed: list[tuple[str, int]] = []

    def kill_a_busy_worker(report):
        if killed:
            return
        for address, tasks in client.processing().items():
            if tasks and address in before:
                os.kill(before[address], signal.SIGKILL)
                killed.append((address, len(tasks)))
                return

    with execution.pool(client) as where:
        reports = cli.run(specs, task, where, on_report=kill_a_busy_worker, refs=refs)
    assert killed, "no worker was busy when the first report came back"
    assert [plain(r.to_dict()) for r in reports] == local_report
    client.wait_for_workers(2, timeout=60)  # the nanny starts a new one
    assert set(client.run(os.getpid).values()) != set(before.values())


def test_a_broken_spec_file_gives_the_local_error(client, tmp_path, capsys, monkeypatch):
    bad = tmp_path / "broken_spec.py"
    bad.write_text(
        "import alignspec as al\ns = al.Space(x=al.Real(0, 10))\nal.Spec(space=s, y=1)\n"
    )
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", str(bad)]) == 2
    local = capsys.readouterr().err
    assert cli.main(["check", str(bad), "--scheduler", client.scheduler.address]) == 2
    assert capsys.readouterr().err == local and "broken_spec.py" in local


def test_a_check_error_on_a_worker_keeps_its_type(client):
    s = al.Space(x=al.Real(0, 10))
    spec = al.Spec(space=s, reward=s.vars.x, name="no-intent")
    with pytest.raises(al.SpecError) as here:
        al.check(spec, checks=["inversion"])
    with pytest.raises(al.SpecError) as there:
        al.check(spec, checks=["inversion"], executor=client)
    assert type(there.value) is type(here.value) and str(there.value) == str(here.value)


def test_checks_of_one_spec_as_tasks(client):
    """al.check(..., executor=client): a policy given as a lambda travels (cloudpickle)."""
    s = al.Space(x=al.Real(0, 10))
    acts = al.Actions("stay", "go")
    spec = al.Spec(
        space=s,
        actions=acts,
        reward=s.vars.x + acts.per_action({"stay": 0, "go": 1}),
        intent=al.Intent(-s.vars.x),
        name="lambda-policy",
    )
    policy = al.CallablePolicy(s, acts, lambda state: "go" if state["x"] < 5 else "stay")
    here = al.check(spec, policy=policy, points=3)
    there = al.check(spec, policy=policy, points=3, executor=client)
    assert [f.check for f in there.findings] == [f.check for f in here.findings]
    assert plain(there.to_dict()) == plain(here.to_dict())


def test_an_mdp_bundles_checks_are_tasks_each(client):
    bundle = next(t for t, _ in locate([str(ROOT / "specs" / "frozenlake.py")]))
    assert isinstance(bundle, al.MDPSpec) and len(bundle.check_names()) == 3
    here = al.check(bundle)
    with execution.pool(client) as where:
        sent = []
        original = where.executor.submit

        def counting(fn, *args, **kwargs):
            sent.append(args)
            return original(fn, *args, **kwargs)

        where.executor.submit = counting
        there = al.check(bundle, executor=where)
    assert len(sent) == 3  # regret, hackable and forbidden: one task each
    assert plain(there.to_dict()) == plain(here.to_dict())
    assert [f.check for f in there.findings] == ["regret", "hackable", "forbidden"]


def _rounds(monkeypatch):
    """The share counts of the branch-and-bound rounds dealt from now on (one per round)."""
    from alignspec.neural import bab

    sent = []
    original = bab._Run._parallel
    monkeypatch.setattr(
        bab._Run, "_parallel", lambda run, jobs: sent.append(jobs) or original(run, jobs)
    )
    return sent


def test_curve_points_and_neural_shares_on_the_cluster(client, monkeypatch):
    from alignspec.neural import bab

    engagement = next(t for t, _ in locate([str(ROOT / "specs" / "engagement.py")]))
    here = al.outer.goodhart_curve(engagement, points=9)
    with execution.pool(client) as where, execution.using(where):
        there = al.outer.goodhart_curve(engagement, points=9)
    assert there.curve == here.curve and there.message == here.message

    rng = np.random.default_rng(3)
    S = al.Space(a=al.Real(-1, 1), b=al.Real(-1, 1))
    A = al.Space(f=al.Real(-100, 100))
    layers = [
        (rng.normal(size=(16, 2)), rng.normal(size=16)),
        (rng.normal(size=(1, 16)), rng.normal(size=1)),
    ]
    policy = al.MLPPolicy(S, A, layers, mode=None)
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 201), np.linspace(-1, 1, 201)), -1)
    top = float(policy.forward_batch(grid.reshape(-1, 2)).max())
    # tiny batches and no warm-up: the boxes are shared with the workers from the start
    monkeypatch.setattr(bab, "DEFAULT", bab.Settings(batch=4, warmup=0.0, share=0.05))
    sent = _rounds(monkeypatch)
    for limit, expected in ((top + 0.05, al.Verdict.PROVED), (top - 0.05, al.Verdict.VIOLATED)):
        spec = al.Spec(space=S, actions=A, intent=al.Intent(require=[A.vars.f <= limit]))
        with execution.pool(client) as where, execution.using(where):
            shared = al.inner.verify(policy, spec)
        assert shared.verdict is expected and "workers_failed" not in shared.stats
        if expected is al.Verdict.VIOLATED:
            assert policy.act(shared.witness["s"])["f"] > limit
    assert sent and set(sent) == {2}  # rounds were dealt to both workers


@pytest.mark.skipif(not ACAS.exists(), reason="the ACAS Xu benchmark is not beside this checkout")
@pytest.mark.parametrize(("net", "prop", "answer"), [("1_1", "1", "unsat"), ("1_9", "4", "sat")])
def test_vnn_shares_its_branch_and_bound_with_the_cluster(
    client, net, prop, answer, capsys, monkeypatch
):
    from alignspec.neural import bab
    from alignspec.neural.vnnlib import read

    monkeypatch.setattr(bab, "DEFAULT", bab.Settings(warmup=0.0, share=0.2))
    sent = _rounds(monkeypatch)
    onnx = ACAS / "onnx" / f"ACASXU_run2a_{net}_batch_2000.onnx"
    vnnlib = ACAS / "vnnlib" / f"prop_{prop}.vnnlib"
    code = cli.main(["vnn", str(onnx), str(vnnlib), "--scheduler", client.scheduler.address])
    out, _ = capsys.readouterr()
    assert out.splitlines()[0] == answer and code == {"unsat": 0, "sat": 1}[answer]
    assert sent and set(sent) == {2}  # its rounds went to the cluster's two workers
    if answer == "sat":  # the counterexample printed is one, by VNN-LIB's own reading
        values = dict(
            line.strip(" ()").split() for line in out.splitlines()[1:] if line.strip(" ()")
        )
        xs = [float(values[f"X_{i}"]) for i in range(5)]
        ys = [float(values[f"Y_{j}"]) for j in range(5)]
        assert read(vnnlib).violated_at(xs, ys)


def test_vnn_refuses_jobs_with_a_scheduler(capsys):
    code = cli.main(["vnn", "n.onnx", "p.vnnlib", "--scheduler", "tcp://x:1", "-j", "2"])
    assert code == 2 and "--jobs cannot be given with --scheduler" in capsys.readouterr().err


def _tell(item):
    sender, message = item
    sender.put(message)
    return message[1]


def test_tasks_on_the_cluster_message_the_client(client):
    """The progress line's channel: what a task puts on a worker arrives here, as a tuple."""
    import queue
    import time

    with execution.pool(client) as where, execution.messages(where) as (sender, received):
        items = [(sender, ("spec-a", "regret")), (sender, ("spec-b", "hacking"))]
        assert sorted(r for _, r in execution.completed(where, _tell, items)) == [
            "hacking",
            "regret",
        ]
        got, waited = [], time.monotonic()
        while len(got) < 2 and time.monotonic() - waited < 30:  # events trail the results
            try:
                got.append(received.get(timeout=0.1))
            except queue.Empty:
                pass
    assert sorted(got) == [("spec-a", "regret"), ("spec-b", "hacking")]


def test_a_message_that_trails_its_spec_does_not_bring_it_back(monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty = Terminal()
    progress = cli.Progress(2, tty)
    progress.start("a", "regret")
    progress.finish("a")
    progress.put(("a", "hacking"))  # from a cluster, after a's report came back
    assert progress.running == {} and tty.getvalue().split("\r\033[K")[-1] == "[1/2]"


def test_a_worker_with_a_different_file_refuses_it(tmp_path, monkeypatch):
    from alignspec import loader

    path = tmp_path / "drift_spec.py"
    body = """
        import alignspec as al
        s = al.Space(x=al.Real(0, 10))
        spec = al.Spec(space=s, reward=s.vars.x, intent=al.Intent({}), name="drift")
    """
    path.write_text(textwrap.dedent(body.format("s.vars.x")))
    ((_, ref),) = locate([str(path)])
    assert fetch(ref).label == "drift"
    path.write_text(textwrap.dedent(body.format("-s.vars.x")))
    assert fetch(ref).label == "drift"  # a worker that loaded it already keeps that version
    monkeypatch.setattr(loader, "_FETCHED", {})  # a fresh worker reads the changed file
    with pytest.raises(al.SpecFileError, match="drift_spec.py: the worker .* different version"):
        fetch(ref)
    path.unlink()
    with pytest.raises(al.SpecFileError, match="drift_spec.py: the worker .* has no such file"):
        fetch(ref)


def test_unusable_executors_are_typed_errors(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as threads, pytest.raises(al.OptionError, match="thread-safe"):
        with execution.pool(threads):
            pass
    with pytest.raises(al.OptionError, match="executor=42"):
        with execution.pool(42):
            pass
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if dask were not installed
    with pytest.raises(al.ClusterError, match=r"pip install 'alignspec\[dask\]'"):
        with execution.pool("tcp://127.0.0.1:1"):
            pass


def test_a_local_cluster_that_cannot_start_is_a_cluster_error():
    """Its workers import the main script again: from stdin they cannot, and Dask said only
    'Nanny failed to start'."""
    import subprocess

    script = "from alignspec import execution\nwith execution.pool('dask', jobs=1): pass\n"
    done = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("alignspec.errors.ClusterError: a Dask LocalCluster of 1 worker(s)")
    assert "if __name__ == '__main__':" in last


def test_an_unreachable_scheduler_is_a_cluster_error(monkeypatch, capsys):
    monkeypatch.setattr(execution, "CONNECT_TIMEOUT", 1.0)
    code = cli.main(
        ["check", str(ROOT / "specs" / "engagement.py"), "--scheduler", "tcp://127.0.0.1:9"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err


def test_batches_and_completed_keep_order():
    assert execution.batches(list(range(7)), 3) == [[0, 1, 2], [3, 4], [5, 6]]
    assert execution.batches([1, 2], 5) == [[1], [2]]
    seen = list(execution.completed(execution.HERE, lambda x: x * x, [3, 1, 2]))
    assert seen == [(0, 9), (1, 1), (2, 4)]


def test_ctrl_c_stops_a_dask_run_cleanly():
    """Ctrl-C in a terminal reaches the whole process group, the cluster's workers too:
    exit 130 at once, no worker tracebacks, nothing left running."""
    import subprocess
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "alignspec", "check", "specs", "--dask", "-j", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, for killpg as a terminal does
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    first = proc.stdout.readline()  # the first spec's report: the cluster is at work
    assert first.strip(), proc.stderr.read()
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 20
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert "finished before the interrupt" in err
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the workers are gone too
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("processes of the interrupted run are still alive")


PLUGIN_SPECS = """
    import alignspec as al
    s = al.Space(x=al.Real(0, 10))
    good = al.Spec(space=s, reward=2 * s.vars.x, intent=al.Intent(s.vars.x), name="good",
                   expect="aligned")
    wrong = al.Spec(space=s, reward=s.vars.x, intent=al.Intent(-s.vars.x), name="wrong",
                    expect="aligned")
"""


def test_the_pytest_plugin_runs_its_items_on_the_cluster(client, pytester):
    path = pytester.makepyfile(cluster_specs=textwrap.dedent(PLUGIN_SPECS))
    address = client.scheduler.address
    result = pytester.runpytest_subprocess(
        "--alignspec", str(path), "--alignspec-scheduler", address, "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=3, failed=3)  # as locally: wrong fails with its witness
    result.stdout.fnmatch_lines(["*expected aligned, got:*", "*inversion: VIOLATED (smt)*"])

    def fetched() -> list[str]:
        from alignspec import loader

        return [origin for origin, _ in loader._FETCHED]

    seen = [o for found in client.run(fetched).values() for o in found]
    assert str(path.resolve()) in seen  # the workers loaded the file and ran the items


def test_a_forked_worker_never_submits_to_the_parents_pool():
    """A local pool forked inside execution.on() inherits the active pool: the checks it
    runs must not submit their curve points to that copy (they ran nowhere)."""
    from concurrent.futures import ProcessPoolExecutor

    engagement = next(t for t, _ in locate([str(ROOT / "specs" / "engagement.py")]))
    here = al.check(engagement, points=3)
    with execution.on(None, jobs=2), ProcessPoolExecutor(1) as inner:
        there = al.check(engagement, executor=inner, points=3)
    assert plain(there.to_dict()) == plain(here.to_dict())


def test_workers_undo_dasks_allocator_setting(monkeypatch):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which pins glibc's mmap threshold at
    128 KiB: the neural engine's numpy temporaries then each cost an mmap and page faults
    (ACAS Xu 1_1 prop 6 on 2 Dask workers: 18 s against 8 s on 2 local processes).
    roomy_malloc raises both thresholds once per process, only where Dask set one."""
    from alignspec import execution

    calls = []

    class Libc:
        def mallopt(self, what, value):
            calls.append((what, value))
            return 1

    monkeypatch.setattr("ctypes.CDLL", lambda name: Libc())
    monkeypatch.setattr(execution, "_MALLOC_TUNED", False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    execution.roomy_malloc()
    assert calls == []  # not a Dask worker: the allocator is left alone
    monkeypatch.setattr(execution, "_MALLOC_TUNED", False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    execution.roomy_malloc()
    execution.roomy_malloc()  # once per process
    assert calls == [(-3, 32 * 2**20), (-1, 128 * 2**20)]


def test_cluster_workers_run_tasks_with_the_roomy_allocator(client):
    """On a real Dask worker (whose nanny set MALLOC_TRIM_THRESHOLD_), a task run through
    the seam has had the allocator tuned before it runs."""
    from alignspec import execution

    def probe(_):
        import os

        return os.environ.get("MALLOC_TRIM_THRESHOLD_"), execution._MALLOC_TUNED

    with execution.pool(client) as where:
        results = [r for _, r in execution.completed(where, probe, [0, 1])]
    assert all(tuned for _, tuned in results)
    assert any(env is not None for env, _ in results)  # Dask's nanny set it there

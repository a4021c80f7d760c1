"""One check, one z3 context (solver.isolated): answers independent of what ran before,
old contexts deleted only when nothing refers to them, no cyclic collection inside."""

import gc
from pathlib import Path

import z3

import alignspec as al
from alignspec.loader import locate
from alignspec.solver import isolated, isolation

ROOT = Path(__file__).resolve().parent.parent


def _witnesses(report):
    return [(f.check, f.verdict, f.witness) for f in report.findings]


def test_a_checks_witness_does_not_depend_on_the_checks_run_before_it():
    """Without isolation delivery-time-only finds another (valid) witness after these."""
    specs = {t.label: t for t, _ in locate([str(ROOT / "specs")])}
    delivery = specs["delivery-time-only"]
    first = _witnesses(al.check(delivery))
    for name in ("boat-race", "tomato-watering", "engagement-vs-wellbeing"):
        al.check(specs[name])
    assert _witnesses(al.check(delivery)) == first


def test_each_block_has_a_fresh_context_and_nested_blocks_share_it():
    with isolated():
        outer = z3.Real("x").ctx
        with isolated():
            assert z3.Real("y").ctx is outer
    with isolated():
        assert z3.Real("x").ctx is not outer


def test_a_replaced_context_is_deleted_only_when_nothing_refers_to_it():
    with isolated():
        kept = z3.Real("kept") + 1
        ctx = kept.ctx
    with isolated():
        z3.Real("other")
    assert any(c is ctx for c in isolation._RETIRED)  # a term of it is alive
    watched, deleted = id(ctx), []
    original = z3.Context.__del__

    def noting(self):
        deleted.append(id(self))
        original(self)

    z3.Context.__del__ = noting
    try:
        del kept, ctx
        with isolated():
            pass
        assert watched in deleted
        assert all(id(c) != watched for c in isolation._RETIRED)
    finally:
        z3.Context.__del__ = original


def test_no_cyclic_collection_runs_inside_a_block():
    """A collection started by another thread would finalize this block's z3 terms while
    it is inside a z3 call (ctypes lets go of the GIL): z3 contexts are not thread-safe."""
    assert gc.isenabled()
    with isolated():
        assert not gc.isenabled()
        with isolated():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off keeps it off
    try:
        with isolated():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

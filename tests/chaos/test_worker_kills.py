"""Scenario 1: `kill -9` workers in the middle of model calls, replace them, and the run still
ends exact: every overlay terminal once, counters equal COUNT(*), one run.completed, and no
block answered twice beyond the calls that were in flight when a worker died. What one kill
loses is bounded by the worker's concurrency (the pack queue's prefetch)."""

import time

import pytest

from tests.chaos.conftest import CONCURRENCY
from tests.chaos.harness import (
    planning_state,
    prepare_run,
    stuck_report,
    verdict,
    wait_claims,
    wait_complete,
    wait_planning_started,
    write_documents,
)

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

PACK = 4
POLICY = {"lease_seconds": 5, "batching_mode": "fixed", "fixed_pack_size": PACK, "max_attempts": 5}


def test_killed_workers_lose_nothing_and_settle_nothing_twice(sc, docs_dir):
    run_id, total = prepare_run(sc, write_documents(docs_dir, [160, 140]), policy=POLICY)
    for _ in range(2):
        victim = next(
            (w for w in sc.stack.live_workers() if wait_claims(sc, w, run_id, timeout_s=5)),
            None,
        )
        assert victim is not None, "no worker was calling the model"
        kill = sc.stack.kill_worker(victim, run_id)
        assert 0 < kill.claimed <= CONCURRENCY * PACK, kill  # the blast radius of one kill
        sc.stack.spawn_worker()
        time.sleep(0.5)
    run = wait_complete(sc, run_id, timeout_s=60)
    v = verdict(sc, run_id)
    print(f"\nworker kills: {v.summary()}")
    assert run is not None, f"run never completed: {stuck_report(sc, run_id)}"
    assert v.problems() == [], v.summary()
    assert v.total == total and v.kills == 2 and v.in_flight_at_kills > 0
    assert v.by_status.get("ai_complete") == total
    assert v.dead_letters == [], v.dead_letters


def test_a_worker_takes_no_more_packs_than_its_concurrency(sc, docs_dir):
    """Measured on the broker (each consumer's prefetch) and in the database (claims one worker
    holds while the simulator is slow): a worker must not take the whole pack queue."""
    consumers = sc.cluster.rabbit.ctl(
        "list_consumers", "-p", sc.vhost, "queue_name", "prefetch_count"
    ).stdout
    prefetch: dict[str, set[int]] = {}
    for line in consumers.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[1].isdigit():
            prefetch.setdefault(parts[0], set()).add(int(parts[1]))
    run_id, _ = prepare_run(sc, write_documents(docs_dir, [120]), policy=POLICY)
    worker = sc.stack.live_workers()[0]
    wait_claims(sc, worker, run_id)
    held = max(sc.stack.claims_of(worker, run_id) for _ in range(10))
    print(f"\nprefetch by queue: {prefetch}; claims held by one worker: {held}")
    assert prefetch.get("strata.worker.pack-ready") == {CONCURRENCY}, prefetch
    assert prefetch.get("strata.conversion.conversion-requested") == {1}, prefetch
    assert 0 < held <= CONCURRENCY * PACK, f"one worker holds {held} claims"
    assert wait_complete(sc, run_id, timeout_s=60) is not None


def test_workers_killed_during_background_planning_lose_and_double_nothing(sc, docs_dir):
    """The run is answered `planning`; both workers plan it, a chunk per message (the chaos
    stack plans 10 blocks at a time). Kill one worker while planning goes on, then the other:
    the unacknowledged plan-requested is redelivered and planning resumes after the last
    overlay written; every block ends with exactly one overlay, settled once, counters exact."""
    run_id, total = prepare_run(sc, write_documents(docs_dir, [260, 240]), policy=POLICY)
    states = []
    for _ in range(2):
        status, written = wait_planning_started(sc, run_id)
        if status != "planning":
            break
        victim = sc.stack.live_workers()[0]
        sc.stack.kill_worker(victim, run_id)
        states.append((status, written, planning_state(sc, run_id)))
        sc.stack.spawn_worker()
    print(f"\nplanning at the kills (status, written before, after): {states} of {total}")
    assert states and 0 < states[0][1] < total, "the first kill did not land mid-planning"
    run = wait_complete(sc, run_id, timeout_s=90)
    v = verdict(sc, run_id)
    print(f"planning kills: {v.summary()}")
    assert run is not None, f"run never completed: {stuck_report(sc, run_id)}"
    assert v.problems() == [], v.summary()
    assert v.total == total and v.missing_overlays == 0
    assert sum(v.by_status.values()) == total  # one overlay per block: none missing, none doubled
    assert v.by_status.get("ai_complete") == total
    assert v.dead_letters == [], v.dead_letters

"""Scenario: a deferred run's Message Batch is in flight at the provider when every worker is
killed and the broker restarts. The batch lives in Postgres, not in a worker's memory: a worker
started afterwards polls it, settles each result once and sends the follow-ups in new batches.
Nothing is lost or doubled, and the counters are exact.

Its own stack on the session's private cluster: batch timings are process settings."""

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.harness import (
    Scenario,
    _fetch,
    arun,
    prepare_run,
    scenario,
    stuck_report,
    verdict,
    wait_complete,
    write_documents,
)
from tests.support.cluster import PrivateCluster

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

ENV = {
    "LLMSIM_BATCH_PROCESSING_SECONDS": "8",  # long enough to kill and restart around it
    "LLMSIM_BATCH_ERROR_RATE": "0.1",  # partial errors: retried in later batches
    "LLMSIM_FAULT_SEED": "11",
    "WORKER_BATCH_POLL_S": "1",
    "WORKER_BATCH_GATHER_S": "1",
    "WORKER_BATCH_LEASE_S": "10",
}
POLICY = {
    "mode": "deferred",
    "batching_mode": "fixed",
    "fixed_pack_size": 4,
    "lease_seconds": 6,
    "max_attempts": 8,  # errors at 10 % never exhaust a block's attempts
}


@pytest.fixture(scope="module")
def batch_sc(
    cluster: PrivateCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    with scenario(cluster, tmp_path_factory.mktemp("chaos-batch"), workers=2, extra_env=ENV) as s:
        yield s


def _batches(sc: Scenario, run_id: str) -> list[dict]:
    rows = arun(
        _fetch(
            sc.dsn,
            "SELECT state, provider_batch_id FROM provider_batches WHERE run_id = $1",
            uuid.UUID(run_id),
        )
    )
    return [dict(r) for r in rows]


def _wait_in_flight(sc: Scenario, run_id: str, *, timeout_s: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        batches = _batches(sc, run_id)
        if any(b["state"] == "in_progress" for b in batches):
            return batches
        time.sleep(0.1)
    raise TimeoutError(f"no batch in flight within {timeout_s}s")


@pytest.mark.timeout(420)  # its own stack starts inside this test's time
def test_a_batch_in_flight_survives_killed_workers_and_a_broker_restart(
    batch_sc: Scenario, docs_dir: Path
) -> None:
    sc = batch_sc
    run_id, total = prepare_run(sc, write_documents(docs_dir, [40, 40]), policy=POLICY)
    in_flight = _wait_in_flight(sc, run_id)
    for name in sc.stack.live_workers():
        sc.stack.kill_worker(name, run_id)
    sc.cluster.rabbit.stop()
    time.sleep(3)
    sc.cluster.rabbit.start()
    sc.stack.spawn_worker()  # nothing in any worker's memory: only the database knows the batch
    run = wait_complete(sc, run_id, timeout_s=120)
    v = verdict(sc, run_id)
    requests = arun(
        _fetch(
            sc.dsn,
            "SELECT state, count(*) AS n FROM batch_requests WHERE run_id = $1 GROUP BY state",
            uuid.UUID(run_id),
        )
    )
    calls = arun(
        _fetch(
            sc.dsn,
            "SELECT service_tier, count(*) AS n FROM llm_calls WHERE run_id = $1 GROUP BY 1",
            uuid.UUID(run_id),
        )
    )
    print(f"\nbatches in flight at the kill: {len(in_flight)}; {v.summary()}")
    assert run is not None, f"no completion after the restart: {stuck_report(sc, run_id)}"
    assert v.problems() == [], v.summary()
    assert v.extra_calls == 0 and v.by_status.get("ai_complete") == total
    assert {r["state"] for r in requests} <= {"settled", "dropped"}
    assert {c["service_tier"] for c in calls} == {"batch"}
    assert {b["state"] for b in _batches(sc, run_id)} == {"ended"}
    assert v.dead_letters == [], v.dead_letters

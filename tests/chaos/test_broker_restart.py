"""Scenario 2: the broker goes away in the middle of a run and comes back. Every service must
reconnect on its own (aio-pika robust connection), nothing may be lost in between (outbox relay,
durable quorum queues, persistent messages) and the run must end exact."""

import time

import pytest

from tests.chaos.harness import (
    prepare_run,
    settled_count,
    stuck_report,
    verdict,
    wait_complete,
    wait_settled_at_least,
    write_documents,
)

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

POLICY = {"lease_seconds": 6, "batching_mode": "fixed", "fixed_pack_size": 4}


def test_services_reconnect_after_a_broker_restart_and_the_run_ends_exact(sc, docs_dir):
    run_id, total = prepare_run(sc, write_documents(docs_dir, [150, 150]), policy=POLICY)
    wait_settled_at_least(sc, run_id, total // 5)
    at_stop = settled_count(sc, run_id)
    sc.cluster.rabbit.stop()
    time.sleep(3)
    sc.cluster.rabbit.start()
    restarted_at = time.monotonic()
    run = wait_complete(sc, run_id, timeout_s=75)
    drain_s = time.monotonic() - restarted_at
    v = verdict(sc, run_id)
    print(
        f"\nbroker restart at {at_stop}/{total} settled: complete {drain_s:.1f}s after the"
        f" restart; {v.summary()}"
    )
    assert at_stop < total, "the run was over before the broker went away"
    alive = sc.stack.alive()
    assert all(alive.values()), f"a service died with the broker: {alive}"
    assert run is not None, f"no completion after the broker came back: {stuck_report(sc, run_id)}"
    assert v.problems() == [], v.summary()
    assert v.extra_calls == 0 and v.by_status.get("ai_complete") == total
    assert v.dead_letters == [], v.dead_letters


def test_a_service_started_while_the_broker_is_away_waits_for_it(sc):
    """A replacement worker started during a broker outage (it happens: in `make chaos` three
    replacements booting across the restart all exited) must wait and connect, not exit."""
    sc.cluster.rabbit.stop()
    try:
        name = sc.stack.spawn_worker()
        time.sleep(4)
    finally:
        sc.cluster.rabbit.start()
    ready = sc.stack.wait_ready(name, timeout_s=30)
    assert ready, f"{name} did not come up: {sc.stack.log(name)[-1500:]}"

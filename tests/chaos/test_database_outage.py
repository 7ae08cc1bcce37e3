"""Scenario 3: the database cuts every connection, then crashes and restarts (`pg_ctl -m
immediate`: no checkpoint, recovery at start) in the middle of a run. Services must reconnect
on their own (the pool replaces dead connections; transient errors go to a delay tier) and the
run must end exact."""

import asyncio
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


def test_services_survive_killed_connections_and_a_database_crash(sc, docs_dir):
    run_id, total = prepare_run(sc, write_documents(docs_dir, [150, 150]), policy=POLICY)
    wait_settled_at_least(sc, run_id, total // 5)
    terminated = asyncio.run(sc.cluster.pg.terminate_connections(sc.database))
    wait_settled_at_least(sc, run_id, total // 2)
    at_crash = settled_count(sc, run_id)
    sc.cluster.pg.restart(mode="immediate", down_s=2)
    run = wait_complete(sc, run_id, timeout_s=75)
    v = verdict(sc, run_id)
    print(
        f"\ndatabase outage: {terminated} sessions terminated, then a crash at"
        f" {at_crash}/{total} settled; {v.summary()}"
    )
    assert terminated > 0
    assert at_crash < total, "the run was over before the database crashed"
    alive = sc.stack.alive()
    assert all(alive.values()), f"a service died with the database: {alive}"
    assert run is not None, f"run never completed: {stuck_report(sc, run_id)}"
    assert v.problems() == [], v.summary()
    assert v.by_status.get("ai_complete") == total
    assert v.dead_letters == [], v.dead_letters


def test_a_database_still_starting_up_is_a_transient_error(sc, docs_dir):
    """After a crash, Postgres answers `57P03 the database system is starting up` until its
    recovery ends (and `… is shutting down` while it stops): asyncpg's CannotConnectNowError.
    That is the database briefly away, like a refused connection: a message that meets it must
    wait in a delay tier, not burn its deliveries in a hot requeue loop into the dead letters
    (a dead pack.ready leaves its overlays pending for ever and the run never completes)."""
    run_id, total = prepare_run(sc, write_documents(docs_dir, [150, 150]), policy=POLICY)
    wait_settled_at_least(sc, run_id, total // 5)
    at_outage = settled_count(sc, run_id)
    with sc.cluster.pg.starting_up():
        time.sleep(3)
    run = wait_complete(sc, run_id, timeout_s=60)
    v = verdict(sc, run_id)
    print(f"\ndatabase starting up at {at_outage}/{total} settled: {v.summary()}")
    assert at_outage < total
    assert v.dead_letters == [], v.dead_letters[:5]
    assert run is not None, f"run never completed: {stuck_report(sc, run_id)}"
    assert v.problems() == [], v.summary()

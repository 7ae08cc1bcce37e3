"""Scenario 6: every message on `strata.events` is delivered twice to every consumer (a tap
re-publishes each one with the same routing key and message_id). Handlers are idempotent, so
the run ends exactly as without the copies: no block settled twice, one call per block, exact
counters, one run.completed."""

import pytest

from tests.chaos.harness import (
    DuplicatingTap,
    prepare_run,
    stuck_report,
    verdict,
    wait_complete,
    write_documents,
)

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

POLICY = {"lease_seconds": 10, "batching_mode": "fixed", "fixed_pack_size": 4}
COPIED_KEYS = (
    "document.received",
    "conversion.requested",
    "run.plan-requested",
    "pack.ready",
    "run.recount-requested",
)


def test_every_message_twice_changes_nothing(sc, docs_dir):
    with DuplicatingTap(sc.stack.amqp_url) as tap:
        run_id, total = prepare_run(sc, write_documents(docs_dir, [120, 80]), policy=POLICY)
        run = wait_complete(sc, run_id, timeout_s=60)
        v = verdict(sc, run_id)
    print(f"\nduplicates: {tap.copied} copies {tap.by_key}; {v.summary()}")
    assert run is not None, f"run never completed: {stuck_report(sc, run_id)}"
    assert all(tap.by_key.get(key, 0) > 0 for key in COPIED_KEYS), tap.by_key
    assert v.problems() == [], v.summary()
    assert v.settled_twice == 0 and v.multi_call_blocks == 0 and v.extra_calls == 0
    assert v.by_status.get("ai_complete") == total and v.completed_events == 1
    assert v.dead_letters == [], v.dead_letters

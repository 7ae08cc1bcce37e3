"""The rollup's lifecycle duties on real Postgres and RabbitMQ: expired claims are reaped and
offered again, a run without a usable key says so, every dead letter is copied with its reason."""

import asyncio
import json
from uuid import UUID, uuid4

import aio_pika
import pytest
from faststream.rabbit import RabbitBroker

from strata.contracts import routing
from strata.rollup.dead_letters import DeadLetterCopier
from strata.rollup.handlers import register
from strata.rollup.rollup import RunRollup
from strata.rollup.store import PgRollupStore
from strata.runtime.broker import build_broker, declare_topology
from tests.integration.lifecycle.conftest import make_run, outbox_for, overlay_states

pytestmark = pytest.mark.integration


def _rollup(gw, broker: RabbitBroker) -> RunRollup:
    return RunRollup(store=PgRollupStore(outbox=outbox_for(gw, broker, "rollup")))


async def test_expired_claims_go_back_to_pending_and_their_pack_is_offered_again(gw, broker):
    auth = await gw.account()
    run = await make_run(gw, auth, blocks=4)
    run_id, pack = UUID(run["id"]), uuid4()
    await gw.pool.execute("UPDATE runs SET status = 'running' WHERE id = $1", run_id)
    # Nobody is killed: the lease simply lies in the past, as if the worker stopped renewing it.
    await gw.pool.execute(
        "UPDATE overlays SET pack_id = $2, status = 'claimed', claimed_by = 'gone-worker',"
        " claim_expires_at = now() - interval '1 second' WHERE run_id = $1 AND block_index < 3",
        run_id,
        pack,
    )
    await gw.pool.execute(
        "UPDATE overlays SET status = 'claimed', claimed_by = 'live-worker', pack_id = $2,"
        " claim_expires_at = now() + interval '1 minute' WHERE run_id = $1 AND block_index = 3",
        run_id,
        uuid4(),
    )
    rollup = _rollup(gw, broker)
    assert await rollup.reap_expired_claims() == 3
    states = await overlay_states(gw, run["id"])
    for row in states[:3]:
        assert row["status"] == "pending" and row["claimed_by"] is None
        assert row["claim_expires_at"] is None and row["attempt_count"] == 1
        assert row["last_error_code"] == "lease_expired" and row["pack_id"] == pack
    assert states[3]["status"] == "claimed"  # a live lease is left alone
    offered = await gw.events.wait_for("pack.ready", pack_id=str(pack))
    assert offered["block_count"] == 3
    await gw.events.wait_for("run.recount-requested", run_id=run["id"])
    assert await rollup.reap_expired_claims() == 0

    progress = await rollup.recompute(run_id)
    assert progress.counters.pending_blocks == 3 and progress.counters.claimed_blocks == 1


async def test_reaping_at_max_attempts_fails_the_block(gw, broker):
    auth = await gw.account()
    run = await make_run(gw, auth, blocks=1)
    await gw.pool.execute(
        "UPDATE overlays SET pack_id = $2, status = 'claimed', claimed_by = 'w', attempt_count = 2,"
        " claim_expires_at = now() - interval '1 second' WHERE run_id = $1",
        UUID(run["id"]),
        uuid4(),
    )
    rollup = _rollup(gw, broker)
    assert await rollup.reap_expired_claims() == 1
    (row,) = await overlay_states(gw, run["id"])
    assert row["status"] == "failed" and row["attempt_count"] == 3 and row["settled_at"]
    progress = await rollup.recompute(UUID(run["id"]))
    assert progress.status == "complete" and progress.counters.failed_blocks == 1


async def test_status_reason_says_the_run_waits_for_a_key(gw, broker):
    auth = await gw.account()
    run = await make_run(gw, auth, blocks=3)
    run_id = UUID(run["id"])
    rollup = _rollup(gw, broker)

    async def reason() -> str | None:
        await rollup.recompute(run_id)
        return await gw.pool.fetchval("SELECT status_reason FROM runs WHERE id = $1", run_id)

    assert await reason() is None
    await gw.pool.execute(
        "UPDATE overlays SET last_error_code = 'no_api_key' WHERE run_id = $1", run_id
    )
    assert await reason() == "waiting_for_api_key"
    await gw.pool.execute(
        "UPDATE overlays SET last_error_code = 'invalid_api_key' WHERE run_id = $1"
        " AND block_index = 0",
        run_id,
    )
    assert await reason() == "waiting_for_valid_api_key"
    # Something is being worked on again (a key was added and the run resumed): not waiting.
    await gw.pool.execute(
        "UPDATE overlays SET status = 'claimed', claimed_by = 'w',"
        " claim_expires_at = now() + interval '1 minute' WHERE run_id = $1 AND block_index = 2",
        run_id,
    )
    assert await reason() is None
    await gw.pool.execute(
        "UPDATE runs SET status = 'cancelled', status_reason = 'cancelled_by_user' WHERE id = $1",
        run_id,
    )
    assert await reason() == "cancelled_by_user"  # other reasons are left alone


async def _publish(
    amqp_url: str, *, exchange: str, routing_key: str, body: bytes, headers: dict, message_id: str
) -> None:
    conn = await aio_pika.connect(amqp_url)
    try:
        channel = await conn.channel(publisher_confirms=True)
        target = await channel.get_exchange(exchange)
        await target.publish(
            aio_pika.Message(
                body, headers=headers, message_id=message_id, content_type="application/json"
            ),
            routing_key=routing_key,
        )
    finally:
        await conn.close()


async def _wait_rows(gw, count: int) -> list[dict]:
    for _ in range(100):
        rows = await gw.pool.fetch("SELECT * FROM dead_letters ORDER BY received_at")
        if len(rows) >= count:
            return [dict(r) for r in rows]
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} dead letters, found {len(rows)}")


async def test_every_dead_letter_is_copied_once_with_its_reason(gw, amqp_url):
    broker: RabbitBroker = build_broker(amqp_url)
    store = PgRollupStore(outbox=outbox_for(gw, broker, "rollup"))
    register(
        broker,
        rollup=RunRollup(store=store),
        prefetch=4,
        dead_letters=DeadLetterCopier(store=store),
    )
    await broker.start()
    try:
        await declare_topology(broker)
        # 1. An invalid payload sent to a real consumer: it dead-letters it with the reason.
        await _publish(
            amqp_url,
            exchange=routing.EXCHANGE,
            routing_key=routing.RECOUNT_REQUESTED.routing_key,
            body=json.dumps({"not": "a run"}).encode(),
            headers={},
            message_id="poison-1",
        )
        # 2. Not even JSON, dead-lettered twice (a redelivery): stored once, as text.
        for _ in range(2):
            await _publish(
                amqp_url,
                exchange=routing.DEAD_LETTER_EXCHANGE,
                routing_key="pack.ready",
                body=b"\xff not json",
                headers={
                    "x-strata-error-code": "unexpected_error",
                    "x-strata-error": "boom",
                    "x-strata-queue": routing.PACK_READY.queue,
                },
                message_id="poison-2",
            )
        rows = await _wait_rows(gw, 2)
        await asyncio.sleep(0.3)
        rows = {r["message_id"]: r for r in await _wait_rows(gw, 2)}
        assert set(rows) == {"poison-1", "poison-2"}
        first = rows["poison-1"]
        assert first["error_code"] == "invalid_message" and "run_id" in first["error"]
        assert first["queue"] == routing.RECOUNT_REQUESTED.queue
        assert first["routing_key"] == routing.RECOUNT_REQUESTED.routing_key and first["payload"] == {"not": "a run"}
        second = rows["poison-2"]
        assert (second["error_code"], second["error"]) == ("unexpected_error", "boom")
        assert isinstance(second["payload"], str) and "not json" in second["payload"]
        assert second["headers"]["x-strata-queue"] == routing.PACK_READY.queue
    finally:
        await broker.stop()
    # Nothing is left in the queue: the table holds them.
    conn = await aio_pika.connect(amqp_url)
    try:
        channel = await conn.channel()
        queue = await channel.declare_queue(routing.DEAD_LETTER_QUEUE, passive=True)
        assert queue.declaration_result.message_count == 0
    finally:
        await conn.close()


async def test_a_stalled_run_gets_its_lost_packs_offered_again(gw, broker):
    """Its pack.ready messages are gone (dead-lettered, purged): nothing claimed, nothing touched
    for two leases. The sweep offers the packs again; waiting blocks are left alone."""
    auth = await gw.account()
    run = await make_run(gw, auth, blocks=5)
    run_id, lost, other = UUID(run["id"]), uuid4(), uuid4()
    await gw.pool.execute("UPDATE runs SET status = 'running' WHERE id = $1", run_id)
    await gw.pool.execute(
        "UPDATE overlays SET pack_id = CASE WHEN block_index < 3 THEN $2::uuid ELSE $3::uuid END,"
        " updated_at = now() - interval '1 hour' WHERE run_id = $1",
        run_id, lost, other,
    )  # fmt: skip
    await gw.pool.execute(  # one block waits for a budget on purpose
        "UPDATE overlays SET last_error_code = 'budget_exhausted' WHERE run_id = $1"
        " AND block_index = 4",
        run_id,
    )
    rollup = _rollup(gw, broker)
    await rollup.sweep_once()
    offered = await gw.events.wait_for("pack.ready", pack_id=str(lost))
    assert offered["block_count"] == 3
    again = await gw.events.wait_for("pack.ready", pack_id=str(other))
    assert again["block_count"] == 1  # block 3 only; block 4 waits for its budget
    # Just offered (touched): not stalled again until two more leases pass.
    assert await rollup.reoffer_if_stalled(run_id) == 0


TALLIES = (
    "SELECT coalesce(sum(overlays), 0) AS total, coalesce(sum(pending), 0) AS pending,"
    " coalesce(sum(claimed), 0) AS claimed, coalesce(sum(completed), 0) AS ai_complete,"
    " coalesce(sum(failed), 0) AS failed, coalesce(sum(reviewed), 0) AS reviewed,"
    " coalesce(sum(confirmed), 0) AS confirmed, coalesce(sum(flagged), 0) AS flagged"
    " FROM run_tallies WHERE run_id = $1"
)
TRUTH = (
    "SELECT count(*) AS total, count(*) FILTER (WHERE status = 'pending') AS pending,"
    " count(*) FILTER (WHERE status = 'claimed') AS claimed,"
    " count(*) FILTER (WHERE status = 'ai_complete') AS ai_complete,"
    " count(*) FILTER (WHERE status = 'failed') AS failed,"
    " count(*) FILTER (WHERE review_status <> 'unreviewed') AS reviewed,"
    " count(*) FILTER (WHERE review_status = 'confirmed') AS confirmed,"
    " count(*) FILTER (WHERE flags <> '{}') AS flagged"
    " FROM overlays WHERE run_id = $1"
)


async def assert_tallied(gw, run_id: UUID) -> dict:
    tallied, truth = await gw.pool.fetchrow(TALLIES, run_id), await gw.pool.fetchrow(TRUTH, run_id)
    assert dict(tallied) == dict(truth)
    return dict(truth)


async def test_tallies_equal_count_star_through_every_writer_and_a_wrong_one_is_repaired(gw, broker):
    auth = await gw.account()
    run = await make_run(gw, auth, blocks=5, documents=2)  # planned in chunks, in-process
    run_id = UUID(run["id"])
    assert (await assert_tallied(gw, run_id))["pending"] == 10
    # A claim, a settle, an expired lease reaped, a review: each statement's change is tallied.
    await gw.pool.execute(
        "UPDATE overlays SET status = 'claimed', claimed_by = 'w', claim_expires_at = now()"
        " + interval '1 minute' WHERE run_id = $1 AND block_index < 3",
        run_id,
    )
    await gw.pool.execute(
        "UPDATE overlays SET status = CASE WHEN block_index = 0 THEN 'failed' ELSE 'ai_complete'"
        " END, claimed_by = NULL, claim_expires_at = NULL, staged = '{}'"
        " WHERE run_id = $1 AND block_index < 2",
        run_id,
    )
    await gw.pool.execute(
        "UPDATE overlays SET claim_expires_at = now() - interval '1 second'"
        " WHERE run_id = $1 AND status = 'claimed'",
        run_id,
    )
    rollup = _rollup(gw, broker)
    assert await rollup.reap_expired_claims() == 2
    await gw.pool.execute(
        "UPDATE overlays SET review_status = 'confirmed', flags = '{missing:amount}'"
        " WHERE run_id = $1 AND block_index = 1",
        run_id,
    )
    counts = await assert_tallied(gw, run_id)
    assert (counts["ai_complete"], counts["failed"], counts["reviewed"]) == (2, 2, 2)
    assert (counts["confirmed"], counts["flagged"]) == (2, 2)
    review = (await gw.client.get(f"/v1/runs/{run_id}", headers=auth)).json()["review"]
    assert (review["unreviewed"], review["confirmed"], review["flagged"]) == (8, 2, 2)
    # The gateway's cancel and resume, and the in-process planner re-planning the released rows.
    assert (await gw.client.post(f"/v1/runs/{run_id}/cancel", headers=auth)).status_code == 200
    assert (await gw.client.post(f"/v1/runs/{run_id}/resume", headers=auth)).status_code == 200
    await assert_tallied(gw, run_id)
    progress = await rollup.recompute(run_id)
    assert progress.counters.completed_blocks == 2 and progress.counters.pending_blocks == 6

    # Everything settled; then the tallies are made wrong behind the trigger's back.
    await gw.pool.execute(
        "UPDATE overlays SET status = 'ai_complete', staged = '{}' WHERE run_id = $1"
        " AND status = 'pending'",
        run_id,
    )
    await gw.pool.execute("UPDATE run_tallies SET completed = completed + 5 WHERE run_id = $1", run_id)
    progress = await rollup.recompute(run_id)  # nothing claimed: COUNT(*) decides, and repairs
    assert progress.status == "complete" and progress.counters.completed_blocks == 8
    assert (await assert_tallied(gw, run_id))["ai_complete"] == 8

"""The worker's Message Batch store on Postgres: queueing claims a pack for its request, a batch
takes the run's queued requests under a lease, a dead submitter's batch is taken over, each
result settles once, a cancel releases the claims and drops what was still queued."""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID, uuid4

from faststream.rabbit import RabbitBroker

from strata.contracts.messages import PackReady
from strata.contracts.overlays import OverlayStatus
from strata.runtime.outbox import Outbox
from strata.worker.batch_store import batch_worker_id
from strata.worker.outcomes import BlockOutcome, Decision
from strata.worker.pg_batch_store import PgBatchStore
from strata.worker.store import LlmCall, Settlement
from tests.integration.gateway.conftest import Gateway
from tests.integration.lifecycle.conftest import make_run, outbox_for


@dataclass
class _Runtime:  # what PgBatchStore uses of a ServiceRuntime
    pool: object
    outbox: Outbox


async def _packs(gw: Gateway, run_id: str) -> list[PackReady]:
    rows = await gw.pool.fetch(
        "SELECT pack_id, count(*) AS n FROM overlays WHERE run_id = $1 GROUP BY pack_id",
        UUID(run_id),
    )
    return [PackReady(run_id=UUID(run_id), pack_id=r["pack_id"], block_count=r["n"]) for r in rows]


async def test_a_batch_is_queued_taken_over_and_settled_once(gw: Gateway, broker: RabbitBroker):
    auth = await gw.account()
    run = await make_run(gw, auth, blocks=6)
    store = PgBatchStore(_Runtime(gw.pool, outbox_for(gw, broker, "worker")))  # type: ignore[arg-type]
    [pack] = await _packs(gw, run["id"])
    request_id = uuid4()
    assert await store.queue_pack(pack, request_id=request_id, claim_seconds=3600) == 6
    assert await store.queue_pack(pack, request_id=uuid4(), claim_seconds=3600) == 0
    owners = await gw.pool.fetch("SELECT claimed_by FROM overlays WHERE run_id = $1", pack.run_id)
    assert {r["claimed_by"] for r in owners} == {batch_worker_id(request_id)}

    args = {"lease_seconds": 60, "gather_seconds": 0, "limit": 100}
    ticket = await store.take_queued(worker_id="w1", **args)
    assert ticket is not None and [r.id for r in ticket.requests] == [request_id]
    assert await store.take_queued(worker_id="w2", **args) is None  # nothing left to take
    blocks = await store.claimed_blocks(request_id)
    assert [b.block_index for b in blocks] == list(range(6))

    # The submitter dies before recording the provider's id: once its lease ran out, the next
    # worker finds the batch and its requests, and sends them again.
    assert await store.take_due(worker_id="w2", lease_seconds=60) is None
    await gw.pool.execute("UPDATE provider_batches SET lease_expires_at = now() - interval '1s'")
    stale = await store.take_due(worker_id="w2", lease_seconds=60)
    assert stale is not None and stale.state == "submitting" and len(stale.requests) == 1
    await store.requeue(stale.requests)
    await store.end_batch(stale.id)
    ticket = await store.take_queued(worker_id="w2", **args)
    assert ticket is not None
    await store.mark_submitted(ticket.id, provider_batch_id="msgbatch_1", poll_after_seconds=0)
    due = await store.take_due(worker_id="w3", lease_seconds=60)
    assert due is not None and due.provider_batch_id == "msgbatch_1" and due.run_live

    decision = Decision(
        outcomes=[BlockOutcome(b, OverlayStatus.AI_COMPLETE, staged={"amount": 1}) for b in blocks]
    )
    call = LlmCall("m", [b.uid for b in blocks], 10, 5, 0, 0, Decimal("0.001"), 0,
                   service_tier="batch")  # fmt: skip
    settlement = Settlement(
        pack=pack, worker_id=batch_worker_id(request_id), decision=decision, call=call
    )
    assert await store.settle_result(request_id, settlement, requeue=None) == 6
    assert await store.settle_result(request_id, settlement, requeue=None) is None
    await store.end_batch(due.id)
    calls = await gw.pool.fetch("SELECT service_tier FROM llm_calls WHERE run_id = $1", pack.run_id)
    assert [r["service_tier"] for r in calls] == ["batch"]
    statuses = await gw.pool.fetch("SELECT status FROM overlays WHERE run_id = $1", pack.run_id)
    assert {r["status"] for r in statuses} == {"ai_complete"}
    assert await store.take_due(worker_id="w3", lease_seconds=60) is None


async def test_a_cancel_releases_queued_claims_and_drops_their_requests(
    gw: Gateway, broker: RabbitBroker
):
    auth = await gw.account()
    run = await make_run(gw, auth, blocks=4)
    store = PgBatchStore(_Runtime(gw.pool, outbox_for(gw, broker, "worker")))  # type: ignore[arg-type]
    [pack] = await _packs(gw, run["id"])
    request_id = uuid4()
    await store.queue_pack(pack, request_id=request_id, claim_seconds=3600)
    response = await gw.client.post(f"/v1/runs/{run['id']}/cancel", headers=auth)
    assert response.status_code == 200, response.text
    assert await store.claimed_blocks(request_id) == []
    assert await store.drop_dead_queued() == 1
    args = {"lease_seconds": 60, "gather_seconds": 0, "limit": 100}
    assert await store.take_queued(worker_id="w1", **args) is None

"""Deferred runs on the worker with fakes: pack.ready queues a request, the loop submits the
run's requests as one batch, polls it, and settles each result exactly as a realtime answer
would be settled (validation, lone retries, splits, typed errors, budgets), once."""

import json
from decimal import Decimal
from uuid import uuid4

from strata.contracts.messages import PackReady
from strata.contracts.overlays import ModelErrorCode, OverlayStatus
from strata.contracts.policy import PolicySnapshot
from strata.planning.pricing import call_cost
from strata.worker.batch_loop import BatchLoop, BatchTiming
from strata.worker.batch_provider import BatchRequest, BatchResult, request_error
from strata.worker.context import RunContexts
from strata.worker.deferred import ModeRouter
from strata.worker.provider import ModelError, ModelResponse, PlatformProvider
from tests.unit.worker.memory_batch_store import MemoryBatchStore
from tests.unit.worker.memory_store import MemoryPackStore

DEFINITION = {
    "type": "object",
    "properties": {"title": {"type": "string"}},
    "required": ["title"],
}


class FakeBatchApi:
    """A provider's batches: results are what the test scripts per custom_id."""

    def __init__(self) -> None:
        self.created: list[list[BatchRequest]] = []
        self.ended_now = False
        self.results_by_id: dict[str, BatchResult] = {}
        self.cancelled: list[str] = []
        self.create_error: ModelError | None = None

    async def create(self, requests: list[BatchRequest]) -> str:
        if self.create_error is not None:
            raise self.create_error
        self.created.append(requests)
        return f"msgbatch_{len(self.created)}"

    async def ended(self, batch_id: str) -> bool:
        return self.ended_now

    async def cancel(self, batch_id: str) -> None:
        self.cancelled.append(batch_id)
        self.ended_now = True

    async def results(self, batch_id: str) -> list[BatchResult]:
        index = int(batch_id.rsplit("_", 1)[1]) - 1
        return [
            self.results_by_id.get(r.custom_id, BatchResult(r.custom_id, "canceled"))
            for r in self.created[index]
        ]


def answered(custom_id: str, values: dict, *, stop_reason: str = "end_turn") -> BatchResult:
    text = json.dumps(values, separators=(",", ":"))
    return BatchResult(
        custom_id, "succeeded", response=ModelResponse(text, stop_reason, 1000, 40, 0, 0, 0)
    )


class World:
    def __init__(self, texts: list[list[str]], **policy: object) -> None:
        self.packs = MemoryPackStore()
        self.store = MemoryBatchStore(self.packs)
        self.run_id = self.packs.add_run(PolicySnapshot(mode="deferred", **policy), DEFINITION)
        self.offers = []
        for pack_texts in texts:
            pack_id = uuid4()
            self.packs.add_overlays(self.run_id, pack_texts, pack_id=pack_id)
            self.offers.append(
                PackReady(run_id=self.run_id, pack_id=pack_id, block_count=len(pack_texts))
            )
        self.api = FakeBatchApi()
        self.contexts = RunContexts(self.packs)
        self.realtime: list[PackReady] = []
        self.router = ModeRouter(realtime=self, contexts=self.contexts, store=self.store)
        self.loop = self.make_loop()

    async def run(self, msg: PackReady) -> None:  # the realtime runner, for the router
        self.realtime.append(msg)

    def make_loop(self) -> BatchLoop:
        return BatchLoop(
            store=self.store,
            contexts=self.contexts,
            providers=PlatformProvider(object()),  # type: ignore[arg-type]
            worker_id="w1",
            timing=BatchTiming(poll_seconds=1, gather_seconds=0),
            batch_api=lambda provider: self.api,
        )

    async def offer_all(self) -> None:
        for msg in self.offers:
            await self.router.run(msg)

    def overlays(self):
        return self.packs.overlays(self.run_id)

    def uid(self, i: int) -> str:
        o = self.overlays()[i]
        return f"{o.document_id}:{o.block_index}"


async def test_deferred_packs_are_queued_with_their_claims_and_realtime_ones_are_not():
    world = World([["alpha", "beta"], ["gamma"]])
    await world.offer_all()
    assert world.realtime == []
    assert [r.state for r in world.store.requests.values()] == ["queued", "queued"]
    owners = {o.claimed_by for o in world.overlays()}
    assert owners == {f"batch:{r}" for r in world.store.requests}
    await world.router.run(world.offers[0])  # a duplicate delivery claims nothing
    assert len(world.store.requests) == 2

    realtime = World([["alpha"]])
    realtime.packs.runs[realtime.run_id].inputs.policy["mode"] = "realtime"
    await realtime.offer_all()
    assert realtime.realtime == realtime.offers and realtime.store.requests == {}


async def test_a_batch_is_submitted_polled_and_settled_once_at_half_price():
    world = World([["alpha", "beta"], ["gamma"]])
    await world.offer_all()
    assert await world.loop.submit_one()
    [sent] = world.api.created
    assert [r.custom_id for r in sent] == [str(m.pack_id) for m in world.offers]
    assert "diagnostics" not in sent[0].request.system[0]
    assert await world.loop.poll_one()  # not ended yet: polled again later
    assert world.store.batches[next(iter(world.store.batches))].state == "in_progress"

    world.api.ended_now = True
    first, second = (str(m.pack_id) for m in world.offers)
    world.api.results_by_id = {
        first: answered(first, {"1": {"title": "A"}, "2": {"title": "B"}}),
        second: answered(second, {"1": {"title": "C"}}),
    }
    assert await world.loop.poll_one()
    assert {o.text: (o.status, o.staged) for o in world.overlays()} == {
        "alpha": (OverlayStatus.AI_COMPLETE, {"title": "A"}),
        "beta": (OverlayStatus.AI_COMPLETE, {"title": "B"}),
        "gamma": (OverlayStatus.AI_COMPLETE, {"title": "C"}),
    }
    assert len(world.packs.calls) == 2
    call = world.packs.calls[0]
    assert call.service_tier == "batch"
    full = call_cost(call.model, input_tokens=1000, cache_write=0, cache_read=0, output_tokens=40)
    assert call.cost_usd == (full / 2).quantize(Decimal("0.00000001"))
    assert not await world.loop.poll_one()  # the batch ended: nothing is due
    assert {r.state for r in world.store.requests.values()} == {"settled"}


async def test_a_result_settled_again_by_a_second_poller_changes_nothing():
    world = World([["alpha"]])
    await world.offer_all()
    await world.loop.submit_one()
    [batch_id] = world.store.batches
    ticket = world.store._ticket(batch_id)
    world.api.ended_now = True
    pack = str(world.offers[0].pack_id)
    world.api.results_by_id = {pack: answered(pack, {"1": {"title": "A"}})}
    await world.loop.poll_one()
    # A second worker that took the same ticket before the first ended it:
    result = world.api.results_by_id[pack]
    context = await world.contexts.get(world.run_id)
    await world.loop._settle_result(ticket.requests[0], result, context)
    assert len(world.packs.calls) == 1 and len(world.packs.notices) == 1


async def test_partial_errors_are_retried_per_policy_in_the_next_batch():
    world = World([["alpha", "beta"], ["gamma"], ["delta"], ["epsilon", "zeta"]])
    await world.offer_all()
    await world.loop.submit_one()
    world.api.ended_now = True
    ok, failed, expired, bad = (str(m.pack_id) for m in world.offers)
    world.api.results_by_id = {
        ok: answered(ok, {"1": {"title": "A"}, "2": {"title": "B"}}),
        failed: BatchResult(failed, "errored", error=request_error("overloaded_error", "busy")),
        expired: BatchResult(expired, "expired"),
        bad: answered(bad, {"1": {"title": "E"}, "2": {"nope": 1}}),  # block 2 invalid
    }
    await world.loop.poll_one()
    by_text = {o.text: o for o in world.overlays()}
    assert by_text["alpha"].status is OverlayStatus.AI_COMPLETE
    assert by_text["epsilon"].status is OverlayStatus.AI_COMPLETE
    for text, code in (
        ("gamma", ModelErrorCode.OVERLOADED),
        ("delta", ModelErrorCode.TIMEOUT),
        ("zeta", ModelErrorCode.INVALID_OUTPUT),
    ):
        o = by_text[text]
        assert (o.status, o.attempt_count, o.error_code) == (OverlayStatus.PENDING, 1, code)
    # The errored and expired packs are offered again as they were; the invalid block alone.
    offered = {m.pack_id: m for m in world.packs.emitted}
    assert {world.offers[1].pack_id, world.offers[2].pack_id} <= set(offered)
    assert by_text["zeta"].pack_id in offered and by_text["zeta"].pack_id != world.offers[3].pack_id
    # Those offers go into the next batch, and are settled there.
    for msg in world.packs.emitted:
        await world.router.run(msg)
    await world.loop.submit_one()
    assert len(world.api.created) == 2 and len(world.api.created[1]) == 3
    # The errored request is recorded like a failed realtime call; the expired one bills nothing.
    errored = [c for c in world.packs.calls if c.error_code is not None]
    assert [c.error_code for c in errored] == ["overloaded"] and errored[0].cost_usd == 0


async def test_an_answer_cut_at_max_tokens_splits_into_the_next_batch():
    world = World([["alpha", "beta"]])
    await world.offer_all()
    await world.loop.submit_one()
    world.api.ended_now = True
    pack = str(world.offers[0].pack_id)
    world.api.results_by_id = {pack: answered(pack, {"1": {}}, stop_reason="max_tokens")}
    await world.loop.poll_one()
    halves = [m for m in world.packs.emitted if m.split_depth == 1]
    assert len(halves) == 2 and all(m.block_count == 1 for m in halves)


async def test_a_cancelled_run_cancels_its_batch_at_the_provider_and_pays_nothing():
    world = World([["alpha"], ["beta"]])
    await world.offer_all()
    await world.loop.submit_one()
    run = world.packs.runs[world.run_id]
    run.status = "cancelled"
    for o in run.overlays:  # what the gateway's cancel does to claims
        o.status, o.claimed_by, o.pack_id = OverlayStatus.PENDING, None, None
    await world.loop.poll_one()
    assert world.api.cancelled == ["msgbatch_1"]
    assert world.packs.calls == [] and world.packs.emitted == []
    assert all(o.status is OverlayStatus.PENDING for o in world.overlays())


async def test_budgets_reserve_each_request_before_submitting():
    world = World([["alpha"], ["beta"]], budget_usd=0.1)
    await world.offer_all()
    await world.loop.submit_one()
    run = world.packs.runs[world.run_id]
    [sent] = world.api.created  # the second request did not fit: it waits on the budget
    assert len(sent) == 1 and run.reserved_usd > 0
    waiting = [o for o in world.overlays() if o.error_code == ModelErrorCode.BUDGET_EXHAUSTED]
    assert len(waiting) == 1 and waiting[0].status is OverlayStatus.PENDING
    world.api.ended_now = True
    world.api.results_by_id = {
        sent[0].custom_id: answered(sent[0].custom_id, {"1": {"title": "A"}})
    }
    await world.loop.poll_one()
    assert run.reserved_usd == 0 and run.spent_usd == world.packs.calls[0].cost_usd


async def test_a_batch_whose_submitter_died_is_sent_again_without_doubles():
    world = World([["alpha"]])
    await world.offer_all()
    ticket = await world.store.take_queued(
        worker_id="dead", lease_seconds=1, gather_seconds=0, limit=10
    )
    assert ticket is not None and world.api.created == []
    world.store.submitter_died()
    assert await world.loop.poll_one()  # back to the queue
    assert await world.loop.submit_one()
    assert len(world.api.created) == 1 and len(world.store.requests) == 1


async def test_a_failed_submission_retries_or_fails_per_its_error():
    world = World([["alpha"]])
    await world.offer_all()
    world.api.create_error = ModelError(ModelErrorCode.OVERLOADED, "busy", retryable=True)
    await world.loop.submit_one()
    assert [r.state for r in world.store.requests.values()] == ["queued"]
    world.api.create_error = ModelError(ModelErrorCode.PROVIDER_ERROR, "bad", retryable=False)
    await world.loop.submit_one()
    [o] = world.overlays()
    assert (o.status, o.error_code) == (OverlayStatus.FAILED, ModelErrorCode.PROVIDER_ERROR)

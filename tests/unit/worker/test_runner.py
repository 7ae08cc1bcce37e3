"""PackRunner against the in-memory store and a scripted provider: what one pack's turn leaves
behind (overlays, the llm_calls row, budget, follow-up packs, the overlays.settled notice)."""

import dataclasses
import json
import threading
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from prometheus_client import REGISTRY

from strata.contracts.messages import PackReady
from strata.contracts.overlays import ModelErrorCode, OverlayStatus
from strata.contracts.policy import PolicySnapshot
from strata.worker import reading as reading_module
from strata.worker.context import RunContexts
from strata.worker.provider import ModelError, ModelRequest, ModelResponse, PlatformProvider
from strata.worker.runner import PackRunner
from tests.unit.worker.memory_store import MemoryPackStore

DEFINITION = {
    "type": "object",
    "properties": {"title": {"type": "string"}},
    "required": ["title"],
}
WORKER = "worker-1"


class ScriptedProvider:
    """Answers each call with the next reply (a response, or an error to raise)."""

    def __init__(self, *replies: ModelResponse | ModelError, during_call=None) -> None:
        self.replies = list(replies)
        self.requests: list[ModelRequest] = []
        self.during_call = during_call

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        if self.during_call is not None:
            self.during_call()
        reply = self.replies.pop(0)
        if isinstance(reply, ModelError):
            raise reply
        return reply


def answer(values: dict[str, dict], *, stop_reason: str = "end_turn") -> ModelResponse:
    """An answer keyed by the pack-local tags ("1", "2", …) the prompt gives the blocks."""
    text = json.dumps(values, separators=(",", ":"))
    return ModelResponse(text, stop_reason, 1000, 40, 0, 0, 12)


def arrange(texts: list[str], **policy: object) -> tuple[MemoryPackStore, UUID, PackReady]:
    store = MemoryPackStore()
    run_id = store.add_run(PolicySnapshot(**policy), DEFINITION)
    pack_id = uuid4()
    store.add_overlays(run_id, texts, pack_id=pack_id)
    return store, run_id, PackReady(run_id=run_id, pack_id=pack_id, block_count=len(texts))


def runner(store: MemoryPackStore, provider: ScriptedProvider | None) -> PackRunner:
    return PackRunner(
        store=store,
        contexts=RunContexts(store),
        providers=PlatformProvider(provider),
        worker_id=WORKER,
    )


async def test_a_valid_answer_completes_every_block_and_records_the_call():
    store, run_id, msg = arrange(["alpha", "beta"])
    provider = ScriptedProvider(answer({"1": {"title": "A"}, "2": {"title": "B"}}))
    await runner(store, provider).run(msg)
    overlays = store.overlays(run_id)
    assert [(o.status, o.staged, o.claimed_by) for o in overlays] == [
        (OverlayStatus.AI_COMPLETE, {"title": "A"}, None),
        (OverlayStatus.AI_COMPLETE, {"title": "B"}, None),
    ]
    [call] = store.calls
    assert call.block_uids == [f"{o.document_id}:{o.block_index}" for o in overlays]
    assert (call.input_tokens, call.output_tokens, call.stop_reason) == (1000, 40, "end_turn")
    assert call.cost_usd > 0
    assert store.emitted == []
    [notice] = store.notices
    assert (notice.completed, notice.failed, notice.released) == (2, 0, 0)


async def test_a_missing_block_goes_back_alone_in_a_new_pack():
    store, run_id, msg = arrange(["alpha", "beta", "gamma"])
    provider = ScriptedProvider(answer({"1": {"title": "A"}, "3": {"title": "C"}}))
    await runner(store, provider).run(msg)
    first, missing, last = store.overlays(run_id)
    assert first.status is last.status is OverlayStatus.AI_COMPLETE
    assert (missing.status, missing.attempt_count) == (OverlayStatus.PENDING, 1)
    assert missing.error_code == ModelErrorCode.INVALID_OUTPUT
    assert missing.pack_id not in (None, msg.pack_id)
    [retry] = store.emitted
    assert (retry.pack_id, retry.block_count, retry.split_depth) == (missing.pack_id, 1, 1)
    [notice] = store.notices
    assert (notice.completed, notice.failed, notice.released) == (2, 0, 1)


async def test_an_answer_cut_at_max_tokens_splits_the_pack_in_halves():
    store, run_id, msg = arrange(["a", "b", "c", "d"])
    provider = ScriptedProvider(answer({"1": {"title": "A"}}, stop_reason="max_tokens"))
    await runner(store, provider).run(msg)
    overlays = store.overlays(run_id)
    assert all(o.status is OverlayStatus.PENDING and o.attempt_count == 0 for o in overlays)
    halves = [o.pack_id for o in overlays]
    assert halves[0] == halves[1] != halves[2] == halves[3] and msg.pack_id not in halves
    assert sorted((m.pack_id, m.block_count, m.split_depth) for m in store.emitted) == sorted(
        [(halves[0], 2, 1), (halves[2], 2, 1)]
    )
    assert store.calls[0].stop_reason == "max_tokens"


async def test_a_retryable_error_keeps_the_pack_and_asks_for_a_delayed_re_offer():
    store, run_id, msg = arrange(["alpha", "beta"], retry_backoff=3.0)
    error = ModelError(ModelErrorCode.OVERLOADED, "busy", retryable=True, retry_after_s=1)
    with pytest.raises(ModelError) as raised:
        await runner(store, ScriptedProvider(error)).run(msg)
    assert raised.value.retry_after_s == 3.0  # the policy's backoff beats a shorter retry-after
    overlays = store.overlays(run_id)
    assert [(o.status, o.pack_id, o.attempt_count) for o in overlays] == [
        (OverlayStatus.PENDING, msg.pack_id, 1),
        (OverlayStatus.PENDING, msg.pack_id, 1),
    ]
    assert [c.error_code for c in store.calls] == ["overloaded"]
    assert store.emitted == []  # the same pack comes back through the delay tier, not a new one


async def test_a_rate_limit_is_recorded_re_offered_after_retry_after_and_costs_no_attempt():
    store, run_id, msg = arrange(["alpha", "beta"], retry_backoff=1.0)
    error = ModelError(ModelErrorCode.RATE_LIMITED, "slow down", retryable=True, retry_after_s=7)
    limited_before = _rate_limited_count()
    with pytest.raises(ModelError) as raised:
        await runner(store, ScriptedProvider(error)).run(msg)
    assert raised.value.retry_after_s == 7  # the provider's retry-after beats the backoff
    assert [(o.status, o.pack_id, o.attempt_count) for o in store.overlays(run_id)] == [
        (OverlayStatus.PENDING, msg.pack_id, 0),
        (OverlayStatus.PENDING, msg.pack_id, 0),
    ]
    assert [c.error_code for c in store.calls] == ["rate_limited"]  # recorded, as every call
    assert _rate_limited_count() == limited_before + 1


def _rate_limited_count() -> float:
    value = REGISTRY.get_sample_value(
        "strata_model_rate_limited_total", {"model": PolicySnapshot().model}
    )
    return value or 0.0


async def test_an_exhausted_budget_calls_nothing_and_leaves_the_blocks_waiting():
    store, run_id, msg = arrange(["alpha"], budget_usd=0.000001)
    provider = ScriptedProvider()
    await runner(store, provider).run(msg)
    [overlay] = store.overlays(run_id)
    assert (overlay.status, overlay.attempt_count, overlay.error_code) == (
        OverlayStatus.PENDING,
        0,
        ModelErrorCode.BUDGET_EXHAUSTED,
    )
    assert provider.requests == [] and store.calls == []
    assert store.runs[run_id].reserved_usd == 0


async def test_a_call_within_budget_swaps_its_reservation_for_its_cost():
    store, run_id, msg = arrange(["alpha"], budget_usd=10)
    await runner(store, ScriptedProvider(answer({"1": {"title": "A"}}))).run(msg)
    run = store.runs[run_id]
    assert run.reserved_usd == Decimal(0)
    assert run.spent_usd == store.calls[0].cost_usd > 0


async def test_a_claim_lost_during_the_call_discards_its_answer():
    store, run_id, msg = arrange(["alpha", "beta"])

    def reaped() -> None:  # the rollup reaps one lease while the call runs
        overlay = store.overlays(run_id)[1]
        overlay.status, overlay.claimed_by = OverlayStatus.PENDING, None

    provider = ScriptedProvider(
        answer({"1": {"title": "A"}, "2": {"title": "B"}}), during_call=reaped
    )
    await runner(store, provider).run(msg)
    kept, lost = store.overlays(run_id)
    assert kept.status is OverlayStatus.AI_COMPLETE
    assert (lost.status, lost.staged) == (OverlayStatus.PENDING, None)
    [notice] = store.notices
    assert (notice.completed, notice.released) == (1, 0)


async def test_no_key_releases_the_blocks_without_an_attempt_or_a_call():
    store, run_id, msg = arrange(["alpha"])
    await runner(store, None).run(msg)
    [overlay] = store.overlays(run_id)
    assert (overlay.status, overlay.attempt_count, overlay.error_code) == (
        OverlayStatus.PENDING,
        0,
        ModelErrorCode.NO_API_KEY,
    )
    assert store.calls == []


async def test_a_duplicate_offer_finds_nothing_to_claim():
    store, _, msg = arrange(["alpha"])
    provider = ScriptedProvider(answer({"1": {"title": "A"}}))
    await runner(store, provider).run(msg)
    await runner(store, provider).run(msg)
    assert len(provider.requests) == 1 and len(store.notices) == 1


async def test_settled_blocks_carry_their_review_flags():
    store, run_id, msg = arrange(["alpha beta", "gamma"])
    # "A" occurs in "alpha beta" (case aside); "Z" is nowhere in "gamma".
    provider = ScriptedProvider(answer({"1": {"title": "Alpha"}, "2": {"title": "Z"}}))
    await runner(store, provider).run(msg)
    assert [o.flags for o in store.overlays(run_id)] == [(), ("not_in_text:title",)]


async def test_a_block_answered_in_a_split_pack_is_flagged_retried():
    store, run_id, msg = arrange(["alpha"])
    split = PackReady(run_id=run_id, pack_id=msg.pack_id, block_count=1, split_depth=1)
    await runner(store, ScriptedProvider(answer({"1": {"title": "alpha"}}))).run(split)
    assert [o.flags for o in store.overlays(run_id)] == [("retried",)]


async def test_a_failed_block_is_flagged_and_a_pending_one_is_not():
    store, run_id, msg = arrange(["alpha", "beta"], max_attempts=1)
    # Block 1 answers nothing valid and fails at once (max_attempts 1): its required title is
    # null and it was tried; block 2 is fine.
    await runner(store, ScriptedProvider(answer({"2": {"title": "beta"}}))).run(msg)
    first, second = store.overlays(run_id)
    assert first.status is OverlayStatus.FAILED
    assert first.flags == ("required_null:title", "retried")
    assert second.flags == ()


def arrange_schema(definition: dict, texts: list[str]) -> tuple[MemoryPackStore, UUID, PackReady]:
    store = MemoryPackStore()
    run_id = store.add_run(PolicySnapshot(), definition)
    pack_id = uuid4()
    store.add_overlays(run_id, texts, pack_id=pack_id)
    return store, run_id, PackReady(run_id=run_id, pack_id=pack_id, block_count=len(texts))


async def test_a_schema_with_a_remote_ref_fails_its_blocks_without_a_call():
    # Saved before the gateway refused such schemas: the worker must neither fetch nor loop.
    definition = {"type": "object", "properties": {"a": {"$ref": "http://127.0.0.1:9912/x.json"}}}
    store, run_id, msg = arrange_schema(definition, ["alpha", "beta"])
    provider = ScriptedProvider()
    await runner(store, provider).run(msg)
    assert provider.requests == []
    overlays = store.overlays(run_id)
    assert {(o.status, o.error_code) for o in overlays} == {
        (OverlayStatus.FAILED, ModelErrorCode.SCHEMA_ERROR)
    }
    assert store.calls == []
    [notice] = store.notices
    assert notice.failed == 2


async def test_a_schema_that_breaks_at_validation_fails_the_blocks_and_counts_the_call():
    # The gateway's checks leave no known schema that breaks here, so the validator is made to
    # raise the way a missed case would (before: the exception requeued the pack, the blocks
    # ended `lease_expired` minutes later, and the paid calls were never recorded).
    store, run_id, msg = arrange_schema(DEFINITION, ["alpha", "beta"])
    contexts = RunContexts(store)
    context = await contexts.get(run_id)
    assert context is not None and context.schema_problem is None

    class Exploding:
        def iter_errors(self, value):
            raise RecursionError("maximum recursion depth exceeded")

    contexts._cache[run_id] = dataclasses.replace(context, validator=Exploding())
    provider = ScriptedProvider(answer({"1": {"title": "x"}, "2": {"title": "y"}}), answer({}))
    pack_runner = PackRunner(
        store=store, contexts=contexts, providers=PlatformProvider(provider), worker_id=WORKER
    )
    await pack_runner.run(msg)
    overlays = store.overlays(run_id)
    assert {(o.status, o.error_code) for o in overlays} == {
        (OverlayStatus.FAILED, ModelErrorCode.SCHEMA_ERROR)
    }
    [call] = store.calls  # paid, so counted
    assert call.input_tokens == 1000
    # The run's next pack fails at once, unpaid.
    second = uuid4()
    store.add_overlays(run_id, ["gamma"], pack_id=second)
    await pack_runner.run(PackReady(run_id=run_id, pack_id=second, block_count=1))
    assert len(store.calls) == 1 and len(provider.requests) == 1


async def test_answers_are_validated_off_the_event_loop(monkeypatch):
    loop_thread = threading.get_ident()
    seen: list[int] = []
    real = reading_module.map_answer

    def spy(*args):
        seen.append(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(reading_module, "map_answer", spy)
    store, _, msg = arrange(["alpha"])
    await runner(store, ScriptedProvider(answer({"1": {"title": "A"}}))).run(msg)
    assert seen and seen[0] != loop_thread

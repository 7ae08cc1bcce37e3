"""Cache diagnostics and TTL pricing: the worker asks why a prefix was not reused, records the
provider's answer per call, and prices cache writes at the run's TTL."""

import dataclasses
import json
from uuid import uuid4

import httpx2

from strata.contracts.messages import PackReady
from strata.contracts.overlays import OverlayStatus
from strata.contracts.policy import PolicySnapshot, PromptCacheTtl
from strata.planning.pricing import call_cost
from strata.worker.provider import ModelRequest

from .memory_store import MemoryPackStore
from .test_provider import provider, request
from .test_runner import ScriptedProvider, answer, arrange, runner


async def test_the_adapter_asks_for_diagnostics_and_reads_the_reason():
    seen: list = []

    def handler(req: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(req.content))
        return httpx2.Response(
            200,
            json={
                "id": "msg_2",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-6",
                "content": [{"type": "text", "text": "{}"}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 1},
                "diagnostics": {
                    "cache_miss_reason": {"type": "system_changed", "cache_missed_input_tokens": 9}
                },
            },
        )

    asked = dataclasses.replace(request(), previous_message_id="msg_1")
    response = await provider(handler).complete(asked)
    assert seen[0]["diagnostics"] == {"previous_message_id": "msg_1"}
    assert (response.message_id, response.cache_miss_reason) == ("msg_2", "system_changed")
    first = await provider(handler).complete(dataclasses.replace(asked, previous_message_id=""))
    assert seen[1]["diagnostics"] == {"previous_message_id": None}  # first turn: opt in
    assert first.cache_miss_reason == "system_changed"
    await provider(handler).complete(request())  # not asked: no field at all
    assert "diagnostics" not in seen[2]


async def test_each_call_names_the_runs_previous_message_and_records_the_reason():
    store, run_id, msg = arrange(["alpha"], prompt_cache_ttl="1h")
    second_pack = uuid4()
    store.add_overlays(run_id, ["beta"], pack_id=second_pack)
    replies = (
        dataclasses.replace(answer({"1": {"title": "A"}}), message_id="msg_a"),
        dataclasses.replace(
            answer({"1": {"title": "B"}}),
            message_id="msg_b",
            cache_creation_input_tokens=500,
            cache_miss_reason="system_changed",
        ),
    )
    scripted = ScriptedProvider(*replies)
    worker = runner(store, scripted)
    await worker.run(msg)
    await worker.run(PackReady(run_id=run_id, pack_id=second_pack, block_count=1))
    assert [r.previous_message_id for r in scripted.requests] == ["", "msg_a"]
    assert scripted.requests[0].system[0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert [c.cache_miss_reason for c in store.calls] == [None, "system_changed"]
    # The write of the 1-hour TTL is billed at 2x input, not 1.25x.
    assert store.calls[1].cost_usd == call_cost(
        "claude-sonnet-4-6",
        input_tokens=1000,
        cache_write=500,
        cache_read=0,
        output_tokens=40,
        ttl=PromptCacheTtl.ONE_HOUR,
    )


async def test_without_caching_no_diagnostics_are_asked_for():
    store, _, msg = arrange(["alpha"], prompt_caching_enabled=False)
    scripted = ScriptedProvider(answer({"1": {"title": "A"}}))
    await runner(store, scripted).run(msg)
    request_: ModelRequest = scripted.requests[0]
    assert request_.previous_message_id is None and "cache_control" not in request_.system[0]


async def test_a_sparse_answer_is_staged_with_its_left_out_keys_restored():
    definition = {
        "type": "object",
        "properties": {"title": {"type": "string"}, "note": {"type": ["string", "null"]}},
        "required": ["title", "note"],
    }
    for sparse in (True, False):
        store = MemoryPackStore()
        run_id = store.add_run(PolicySnapshot(sparse_answers=sparse, row_answers=False), definition)
        pack_id = uuid4()
        store.add_overlays(run_id, ["alpha"], pack_id=pack_id)
        scripted = ScriptedProvider(answer({"1": {"title": "A"}}))
        await runner(store, scripted).run(PackReady(run_id=run_id, pack_id=pack_id, block_count=1))
        [overlay] = store.overlays(run_id)
        asked = "\nSparse answers:" in scripted.requests[0].system[0]["text"]
        assert asked is sparse
        if sparse:
            assert overlay.status is OverlayStatus.AI_COMPLETE
            assert overlay.staged == {"title": "A", "note": None}
        else:  # the full form must write every required key
            assert overlay.status is not OverlayStatus.AI_COMPLETE

"""Structured outputs in the worker: the format is sent when the policy and model allow, a
refused schema is retried once without it and remembered for the run, and each call records
which was used."""

import dataclasses
import json
from uuid import uuid4

import httpx2

from strata.contracts.messages import PackReady
from strata.contracts.overlays import ModelErrorCode, OverlayStatus
from strata.worker.provider import ModelError

from .test_provider import ok, provider, request
from .test_runner import ScriptedProvider, answer, arrange, runner


async def test_the_adapter_sends_the_format_and_types_a_refusal():
    seen: list = []
    fmt = {"type": "object", "properties": {}}
    await provider(ok(seen)).complete(dataclasses.replace(request(), output_format=fmt))
    assert seen[0]["output_config"] == {"format": {"type": "json_schema", "schema": fmt}}

    def refuse(req: httpx2.Request) -> httpx2.Response:
        message = "output_config.format.schema: keyword 'maxLength' is not supported"
        body = {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
        return httpx2.Response(400, json=body)

    try:
        await provider(refuse).complete(dataclasses.replace(request(), output_format=fmt))
    except ModelError as exc:
        assert exc.format_refused and not exc.retryable
    else:  # pragma: no cover
        raise AssertionError("a 400 must raise")


def _refused() -> ModelError:
    return ModelError(
        ModelErrorCode.PROVIDER_ERROR,
        "HTTP 400: BadRequestError: output_config.format.schema: schema is too large",
        retryable=False,
        format_refused=True,
    )


async def test_a_refused_schema_is_retried_once_without_it_and_remembered():
    store, run_id, msg = arrange(["alpha"])
    second = uuid4()
    store.add_overlays(run_id, ["beta"], pack_id=second)
    scripted = ScriptedProvider(
        _refused(), answer({"1": {"title": "A"}}), answer({"1": {"title": "B"}})
    )
    worker = runner(store, scripted)
    await worker.run(msg)
    await worker.run(PackReady(run_id=run_id, pack_id=second, block_count=1))
    formats = [r.output_format for r in scripted.requests]
    assert formats[0] is not None and formats[1] is None and formats[2] is None
    assert formats[0]["required"] == ["1"]
    assert [o.status for o in store.overlays(run_id)] == [OverlayStatus.AI_COMPLETE] * 2
    assert [c.structured_output for c in store.calls] == [False, False]


async def test_a_structured_call_is_recorded_as_such_and_the_switch_turns_it_off():
    store, _, msg = arrange(["alpha"])
    reply = dataclasses.replace(answer({"1": {"title": "A"}}), structured=True)
    scripted = ScriptedProvider(reply)
    await runner(store, scripted).run(msg)
    assert json.dumps(scripted.requests[0].output_format)
    assert store.calls[0].structured_output is True
    off_store, _, off_msg = arrange(["alpha"], structured_outputs=False)
    off = ScriptedProvider(answer({"1": {"title": "A"}}))
    await runner(off_store, off).run(off_msg)
    assert off.requests[0].output_format is None

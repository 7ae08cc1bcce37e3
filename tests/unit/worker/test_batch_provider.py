"""The Message Batches adapter against the simulator in-process (official SDK, no sockets):
requests go out as realtime bodies under their pack ids, results come back typed."""

import json
from typing import Any

import httpx2
import pytest

from strata.contracts.overlays import ModelErrorCode
from strata.llm_sim import Settings, create_app
from strata.planning.prompt import PromptBlock, build_prompt
from strata.worker.batch_provider import BatchRequest, batch_api_for, params, request_error
from strata.worker.openai_compat import OpenAICompatibleProvider
from strata.worker.provider import AnthropicProvider, ModelRequest

SCHEMA = {"type": "object", "properties": {"title": {"type": "string"}}}


def _request(text: str) -> ModelRequest:
    prompt = build_prompt(
        system=f"Extract.\n<schema>{json.dumps(SCHEMA)}</schema>",
        blocks=[PromptBlock("D:0", text)],
        cache=True,
    )
    return ModelRequest("claude-sonnet-4-6", prompt.system, prompt.messages, 512, 0.0)


def _api(**settings: Any) -> Any:
    app = create_app(Settings(**{"fault_rate": 0.0, "fault_rules": None, **settings}))
    client = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app))
    provider = AnthropicProvider(
        api_key="k", base_url="http://llm-sim", timeout_s=5, http_client=client
    )
    api = batch_api_for(provider)
    assert api is not None
    return api


async def test_a_batch_round_trip_returns_typed_results_by_custom_id() -> None:
    api = _api(batch_processing_seconds=0, batch_error_rate=0.5, fault_seed=3)
    requests = [BatchRequest(f"pack-{i}", _request(f"Item {i} costs 5 USD.")) for i in range(12)]
    batch_id = await api.create(requests)
    assert await api.ended(batch_id)
    results = {r.custom_id: r for r in await api.results(batch_id)}
    assert set(results) == {r.custom_id for r in requests}
    kinds = {r.kind for r in results.values()}
    assert kinds == {"succeeded", "errored"}
    for result in results.values():
        if result.kind == "succeeded":
            assert result.response is not None and "1" in json.loads(result.response.text)
            assert result.response.input_tokens > 0
        else:
            assert result.error is not None and result.error.retryable
            assert result.error.error_code in {
                ModelErrorCode.OVERLOADED,
                ModelErrorCode.PROVIDER_ERROR,
            }


async def test_cancel_and_an_unknown_batch() -> None:
    api = _api(batch_processing_seconds=60)
    batch_id = await api.create([BatchRequest("p", _request("x"))])
    assert not await api.ended(batch_id)
    await api.cancel(batch_id)
    [result] = await api.results(batch_id)
    assert result.kind == "canceled" and result.response is None
    with pytest.raises(Exception, match="404"):
        await api.ended("msgbatch_nope")


def test_params_are_the_realtime_body_and_errors_are_typed_like_statuses() -> None:
    request = _request("x")
    body = params(request)
    assert set(body) == {"model", "system", "messages", "max_tokens"}
    assert "output_config" in params(ModelRequest("m", [], [], 1, 0.0, output_format=SCHEMA))
    assert request_error("rate_limit_error", "slow").error_code is ModelErrorCode.RATE_LIMITED
    invalid = request_error("invalid_request_error", "output_config.format: too large")
    assert not invalid.retryable and invalid.format_refused
    openai = OpenAICompatibleProvider(api_key="k", base_url="http://x", timeout_s=1)
    assert batch_api_for(openai) is None

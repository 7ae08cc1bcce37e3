"""The Anthropic adapter against a mocked transport: the request body it sends and the typed
errors it raises."""

import json

import httpx2
import pytest

from strata.contracts.overlays import ModelErrorCode
from strata.planning.prompt import PromptBlock, build_prompt
from strata.worker.provider import AnthropicProvider, ModelError, ModelRequest


def provider(handler) -> AnthropicProvider:
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    return AnthropicProvider(
        api_key="k", base_url="http://model.test", timeout_s=5, http_client=client
    )


def request() -> ModelRequest:
    prompt = build_prompt(system="S" * 50, blocks=[PromptBlock("d:0", "hello")], cache=True)
    return ModelRequest("claude-sonnet-4-6", prompt.system, prompt.messages, 256, 0.3)


def ok(body_seen: list) -> callable:
    def handler(req: httpx2.Request) -> httpx2.Response:
        body_seen.append(json.loads(req.content))
        return httpx2.Response(
            200,
            json={
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-6",
                "content": [{"type": "text", "text": '{"d:0": {}}'}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 10,
                    "output_tokens": 4,
                    "cache_creation_input_tokens": 100,
                    "cache_read_input_tokens": 0,
                },
            },
        )

    return handler


async def test_request_carries_cache_control_and_tagged_blocks_and_usage_is_read():
    seen: list = []
    response = await provider(ok(seen)).complete(request())
    body = seen[0]
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert '<block uid="1">' in body["messages"][0]["content"][0]["text"]
    assert body["max_tokens"] == 256 and "temperature" not in body
    assert (response.input_tokens, response.cache_creation_input_tokens) == (10, 100)
    assert response.text == '{"d:0": {}}' and response.stop_reason == "end_turn"


@pytest.mark.parametrize(
    ("status", "headers", "code", "retryable", "after"),
    [
        (429, {"retry-after": "7"}, ModelErrorCode.RATE_LIMITED, True, 7.0),
        (529, {}, ModelErrorCode.OVERLOADED, True, None),
        (500, {}, ModelErrorCode.PROVIDER_ERROR, True, None),
        (401, {}, ModelErrorCode.INVALID_API_KEY, False, None),
        (400, {}, ModelErrorCode.PROVIDER_ERROR, False, None),
    ],
)
async def test_http_errors_become_typed_model_errors(status, headers, code, retryable, after):
    def handler(req: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            status,
            headers=headers,
            json={"type": "error", "error": {"type": "x", "message": "nope"}},
        )

    with pytest.raises(ModelError) as caught:
        await provider(handler).complete(request())
    assert caught.value.error_code is code
    assert caught.value.retryable is retryable
    assert caught.value.retry_after_s == after
    assert "k" not in caught.value.message.split()  # the key never appears in the text


async def test_timeouts_are_retryable():
    def handler(req: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("slow", request=req)

    with pytest.raises(ModelError) as caught:
        await provider(handler).complete(request())
    assert caught.value.error_code is ModelErrorCode.TIMEOUT and caught.value.retryable


LIMIT_HEADERS = {
    "anthropic-ratelimit-requests-limit": "50",
    "anthropic-ratelimit-requests-remaining": "49",
    "anthropic-ratelimit-requests-reset": "2026-01-01T12:00:02Z",
    "anthropic-ratelimit-input-tokens-limit": "30000",
    "anthropic-ratelimit-input-tokens-remaining": "18000",
    "anthropic-ratelimit-input-tokens-reset": "2026-01-01T12:00:25Z",
    "anthropic-ratelimit-output-tokens-limit": "8000",
    "anthropic-ratelimit-output-tokens-remaining": "not-a-number",
}


async def test_an_answer_and_a_429_report_the_keys_limits_from_their_headers():
    seen: list = []
    answered = ok(seen)

    def with_headers(req: httpx2.Request) -> httpx2.Response:
        response = answered(req)
        return httpx2.Response(200, headers=LIMIT_HEADERS, content=response.content)

    response = await provider(with_headers).complete(request())
    assert response.rate_limits is not None
    assert {d: (r.limit, r.remaining) for d, r in response.rate_limits.dims.items()} == {
        "requests": (50, 49),
        "input_tokens": (30000, 18000),  # output's remaining is unreadable: left out
    }

    def refused(req: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            429,
            headers={**LIMIT_HEADERS, "retry-after": "3"},
            json={"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}},
        )

    with pytest.raises(ModelError) as caught:
        await provider(refused).complete(request())
    assert caught.value.retry_after_s == 3.0
    assert caught.value.rate_limits is not None and caught.value.rate_limits.advertised

"""The OpenAI-compatible adapter against a mocked transport: request shape, usage, errors."""

import json

import httpx
import pytest

from strata.contracts.overlays import ModelErrorCode
from strata.planning.prompt import PromptBlock, build_prompt
from strata.worker.openai_compat import OpenAICompatibleProvider
from strata.worker.provider import ModelError, ModelRequest


def request() -> ModelRequest:
    prompt = build_prompt(system="SYSTEM", blocks=[PromptBlock("d:0", "hello")], cache=True)
    return ModelRequest("llama-3", prompt.system, prompt.messages, 256, 0.3)


def provider(handler) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(
        api_key="k",
        base_url="http://llm.test/v1/",
        timeout_s=5,
        transport=httpx.MockTransport(handler),
    )


async def test_chat_request_and_usage_map_to_ours():
    seen = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(
            200,
            json={
                "choices": [
                    {
                        "message": {"role": "assistant", "content": '{"1":{}}'},
                        "finish_reason": "length",
                    }
                ],
                "usage": {
                    "prompt_tokens": 120,
                    "completion_tokens": 7,
                    "prompt_tokens_details": {"cached_tokens": 100},
                },
            },
        )

    response = await provider(handler).complete(request())
    sent = seen[0]
    assert str(sent.url) == "http://llm.test/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer k"
    body = json.loads(sent.content)
    assert body["messages"][0] == {"role": "system", "content": "SYSTEM"}
    assert (
        body["messages"][1]["role"] == "user"
        and '<block uid="1">' in body["messages"][1]["content"]
    )
    assert (body["max_tokens"], body["temperature"], body["model"]) == (256, 0.3, "llama-3")
    assert response.stop_reason == "max_tokens"  # length -> the worker splits the pack
    assert (response.input_tokens, response.cache_read_input_tokens, response.output_tokens) == (
        20,
        100,
        7,
    )


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (401, ModelErrorCode.INVALID_API_KEY, False),
        (429, ModelErrorCode.RATE_LIMITED, True),
        (503, ModelErrorCode.PROVIDER_ERROR, True),
        (400, ModelErrorCode.PROVIDER_ERROR, False),
    ],
)
async def test_http_errors_are_typed(status, code, retryable):
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"retry-after": "3"}, json={"error": "no"})

    with pytest.raises(ModelError) as caught:
        await provider(handler).complete(request())
    assert (caught.value.error_code, caught.value.retryable) == (code, retryable)
    assert caught.value.retry_after_s == (3.0 if retryable else None)


async def test_timeouts_and_garbage_are_retryable():
    def slow(req: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=req)

    with pytest.raises(ModelError) as caught:
        await provider(slow).complete(request())
    assert caught.value.error_code is ModelErrorCode.TIMEOUT and caught.value.retryable

    with pytest.raises(ModelError) as caught:
        await provider(lambda req: httpx.Response(200, text="<html>")).complete(request())
    assert caught.value.error_code is ModelErrorCode.PROVIDER_ERROR and caught.value.retryable

"""The model port over an OpenAI-compatible `chat/completions` endpoint (vLLM, Ollama, llama.cpp
server, OpenAI itself): the same prompt, the same typed errors, usage mapped to ours.

`base_url` is the API root that `/chat/completions` hangs off, e.g. `http://localhost:11434/v1`.
Such servers have no `cache_control`: the cache marker is dropped, and whatever prefix caching
the server does on its own is reported through `prompt_tokens_details.cached_tokens`.
"""

import time
from typing import Any

import httpx

from strata.contracts.overlays import ModelErrorCode
from strata.worker.provider import (
    ModelError,
    ModelRequest,
    ModelResponse,
    classify_status,
    parse_retry_after,
)

# finish_reason -> the Anthropic stop_reason the rest of the worker speaks.
_STOP_REASONS = {"length": "max_tokens", "stop": "end_turn"}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type") == "text")


def chat_body(request: ModelRequest) -> dict[str, Any]:
    messages = [{"role": "system", "content": "\n\n".join(b["text"] for b in request.system)}]
    messages += [{"role": m["role"], "content": _text(m["content"])} for m in request.messages]
    return {
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
    }


class OpenAICompatibleProvider:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout_s,
            transport=transport,
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        started = time.perf_counter()
        try:
            response = await self._client.post("/chat/completions", json=chat_body(request))
        except httpx.TimeoutException as exc:
            raise self._error(ModelErrorCode.TIMEOUT, True, repr(exc), started) from None
        except httpx.HTTPError as exc:
            raise self._error(ModelErrorCode.PROVIDER_ERROR, True, repr(exc), started) from None
        if response.status_code >= 400:
            code, retryable = classify_status(response.status_code)
            after = parse_retry_after(response.headers.get("retry-after")) if retryable else None
            message = f"HTTP {response.status_code}: {response.text[:300]}"
            raise self._error(code, retryable, message, started, after)
        try:
            body = response.json()
            choice = body["choices"][0]
            usage = body.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            message = f"not a chat completion: {exc!r}"
            raise self._error(ModelErrorCode.PROVIDER_ERROR, True, message, started) from None
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        return ModelResponse(
            text=_text(choice["message"].get("content") or ""),
            stop_reason=_STOP_REASONS.get(choice.get("finish_reason"), choice.get("finish_reason")),
            input_tokens=max(usage.get("prompt_tokens", 0) - cached, 0),
            output_tokens=usage.get("completion_tokens", 0),
            cache_creation_input_tokens=0,
            cache_read_input_tokens=cached,
            latency_ms=int((time.perf_counter() - started) * 1000),
        )

    @staticmethod
    def _error(
        code: ModelErrorCode,
        retryable: bool,
        message: str,
        started: float,
        after: float | None = None,
    ) -> ModelError:
        latency = int((time.perf_counter() - started) * 1000)
        return ModelError(
            code, message, retryable=retryable, retry_after_s=after, latency_ms=latency
        )

    async def close(self) -> None:
        await self._client.aclose()

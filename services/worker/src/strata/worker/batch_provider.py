"""The Message Batches port and its Anthropic adapter (`client.messages.batches` in SDK 2.x).

A batch request carries the same `params` a realtime call would send (model, system, messages,
max_tokens, output format), under `custom_id` = its pack id; results come back in any order and
are matched by that id. Every failure of the API itself becomes a typed ModelError, as realtime
calls do; a request's own failure is a result (`errored`, `expired`, `canceled`)."""

from dataclasses import dataclass
from typing import Any, Protocol

import anthropic

from strata.contracts.overlays import ModelErrorCode
from strata.runtime.egress import EgressRefusedError, check_url
from strata.worker.keys import KeyedProvider
from strata.worker.limiter import LimitedProvider
from strata.worker.provider import (
    AnthropicProvider,
    ModelError,
    ModelProvider,
    ModelRequest,
    ModelResponse,
    classify_status,
    parse_retry_after,
)

# The API's own limits per batch (Anthropic: 100,000 requests or 256 MB, whichever first).
MAX_BATCH_REQUESTS = 100_000
MAX_BATCH_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class BatchRequest:
    custom_id: str
    request: ModelRequest


@dataclass(frozen=True)
class BatchResult:
    custom_id: str
    kind: str  # succeeded | errored | expired | canceled
    response: ModelResponse | None = None
    error: ModelError | None = None


class BatchApi(Protocol):
    async def create(self, requests: list[BatchRequest]) -> str:
        """Submit; the provider's batch id."""

    async def ended(self, batch_id: str) -> bool:
        """Whether processing ended (results ready)."""

    async def cancel(self, batch_id: str) -> None: ...

    async def results(self, batch_id: str) -> list[BatchResult]: ...


def params(request: ModelRequest) -> dict[str, Any]:
    """A realtime call's body, as one batch request's `params` (no diagnostics: there is no
    previous message of the run to compare a batch request's prompt with)."""
    body: dict[str, Any] = {
        "model": request.model,
        "system": request.system,
        "messages": request.messages,
        "max_tokens": request.max_tokens,
    }
    if request.output_format is not None:
        body["output_config"] = {"format": {"type": "json_schema", "schema": request.output_format}}
    return body


# A request's error type (the API's error body) → (code, retryable), as for a realtime status.
_BY_ERROR_TYPE = {
    "authentication_error": 401,
    "permission_error": 403,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
    "invalid_request_error": 400,
    "not_found_error": 404,
}


def request_error(error_type: str, message: str) -> ModelError:
    code, retryable = classify_status(_BY_ERROR_TYPE.get(error_type, 400))
    return ModelError(
        code,
        f"batch request {error_type}: {message}"[:500],
        retryable=retryable,
        format_refused=error_type == "invalid_request_error" and "output_config" in message,
    )


def _api_error(exc: anthropic.APIError) -> ModelError:
    status: int | None = getattr(exc, "status_code", None)
    if isinstance(exc, anthropic.APITimeoutError):
        code, retryable = ModelErrorCode.TIMEOUT, True
    else:
        code, retryable = classify_status(status)
    response = getattr(exc, "response", None)
    retry_after = response.headers.get("retry-after") if response is not None else None
    prefix = f"HTTP {status}: " if status else ""
    return ModelError(
        code,
        f"{prefix}Message Batches API: {type(exc).__name__}: {exc.message}"[:500],
        retryable=retryable,
        retry_after_s=parse_retry_after(retry_after),
    )


class AnthropicBatchApi:
    def __init__(self, client: anthropic.AsyncAnthropic, *, base_url: str | None = None,
                 allowed_private_hosts: frozenset[str] = frozenset()) -> None:  # fmt: skip
        self._batches = client.messages.batches
        self._base_url = base_url
        self._allowed = allowed_private_hosts

    async def _check_egress(self) -> None:
        if self._base_url:
            try:
                await check_url(self._base_url, allowed=self._allowed)
            except EgressRefusedError as exc:
                raise ModelError(
                    ModelErrorCode.NO_API_KEY,
                    f"the provider key's base_url is refused: {exc}",
                    retryable=False,
                ) from None

    async def create(self, requests: list[BatchRequest]) -> str:
        await self._check_egress()
        try:
            batch = await self._batches.create(
                requests=[
                    {"custom_id": r.custom_id, "params": params(r.request)}  # type: ignore[typeddict-item]
                    for r in requests
                ]
            )
        except anthropic.APIError as exc:
            raise _api_error(exc) from None
        return batch.id

    async def ended(self, batch_id: str) -> bool:
        await self._check_egress()
        try:
            batch = await self._batches.retrieve(batch_id)
        except anthropic.APIError as exc:
            raise _api_error(exc) from None
        return batch.processing_status == "ended"

    async def cancel(self, batch_id: str) -> None:
        await self._check_egress()
        try:
            await self._batches.cancel(batch_id)
        except anthropic.APIError as exc:
            raise _api_error(exc) from None

    async def results(self, batch_id: str) -> list[BatchResult]:
        await self._check_egress()
        out: list[BatchResult] = []
        try:
            async for line in await self._batches.results(batch_id):
                out.append(_result(line))
        except anthropic.APIError as exc:
            raise _api_error(exc) from None
        return out


def _result(line: Any) -> BatchResult:
    result = line.result
    if result.type == "succeeded":
        message = result.message
        usage = message.usage
        return BatchResult(
            line.custom_id,
            "succeeded",
            response=ModelResponse(
                text="".join(p.text for p in message.content if p.type == "text"),
                stop_reason=message.stop_reason,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_creation_input_tokens=usage.cache_creation_input_tokens or 0,
                cache_read_input_tokens=usage.cache_read_input_tokens or 0,
                latency_ms=0,  # no one waited on this request: the batch's time is its own
                message_id=message.id,
            ),
        )
    if result.type == "errored":
        error = result.error.error
        return BatchResult(
            line.custom_id, "errored", error=request_error(error.type, error.message)
        )
    return BatchResult(line.custom_id, result.type)


def batch_api_for(provider: ModelProvider) -> BatchApi | None:
    """The Message Batches API behind a provider, or None (an OpenAI-compatible endpoint has
    none: a deferred run on such a key fails its blocks with a clear message)."""
    base_url, allowed = None, frozenset[str]()
    if isinstance(provider, KeyedProvider):
        base_url, allowed = provider.base_url, provider.allowed_private_hosts
        provider = provider.inner
    if isinstance(provider, LimitedProvider):
        # Batch requests are not paced by the realtime limiter: the batches API has its own
        # limits and bills nothing until the batch runs.
        provider = provider.inner
    if isinstance(provider, AnthropicProvider):
        return AnthropicBatchApi(provider.client, base_url=base_url, allowed_private_hosts=allowed)
    return None

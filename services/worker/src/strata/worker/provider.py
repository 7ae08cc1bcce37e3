"""The model port and its Anthropic adapter. Every failure becomes a typed ModelError that says
whether to retry; keys are never logged."""

import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import anthropic

from strata.contracts.overlays import ModelErrorCode
from strata.runtime.errors import StrataError
from strata.worker.rate_limits import RateLimitReport, parse_headers

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelRequest:
    model: str
    system: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    max_tokens: int
    temperature: float
    # Ask the provider why the cached prefix was not reused since this earlier message of the
    # run: "" on the run's first call (opt in with nothing to compare), None to not ask.
    previous_message_id: str | None = None
    # A JSON Schema of the whole pack answer for `output_config.format`, or None.
    output_format: dict[str, Any] | None = None


@dataclass(frozen=True)
class ModelResponse:
    text: str
    stop_reason: str | None
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    latency_ms: int
    message_id: str | None = None
    cache_miss_reason: str | None = None  # the provider's diagnosis, when it gave one
    structured: bool = False  # answered under `output_config.format`
    # The key's limits as this answer's `anthropic-ratelimit-*` headers reported them.
    rate_limits: RateLimitReport | None = None


class ModelError(StrataError):
    """The model call failed."""

    def __init__(
        self,
        code: ModelErrorCode,
        message: str,
        *,
        retryable: bool,
        retry_after_s: float | None = None,
        latency_ms: int = 0,
        format_refused: bool = False,
        rate_limits: RateLimitReport | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code.value
        self.error_code = code
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.latency_ms = latency_ms
        # A 400 naming the output format: the call can succeed without it (runner falls back).
        self.format_refused = format_refused
        self.rate_limits = rate_limits  # what the error answer's headers said, if any


class ModelProvider(Protocol):
    async def complete(self, request: ModelRequest) -> ModelResponse: ...


class ProviderResolver(Protocol):
    """Which provider (and so which key) serves a run's account. Raises ModelError with
    `no_api_key` when there is none: the run then waits for a key without losing attempts."""

    async def provider_for(self, account_id: UUID) -> ModelProvider: ...

    async def key_rejected(self, account_id: UUID, provider: "ModelProvider | None" = None) -> None:
        """The provider answered 401/403 with the key behind `provider` (chosen by
        `provider_for` for this account)."""


class PlatformProvider:
    """Every account uses the platform's key (or none, if the platform has none)."""

    def __init__(self, provider: ModelProvider | None) -> None:
        self._provider = provider

    async def provider_for(self, account_id: UUID) -> ModelProvider:
        if self._provider is None:
            raise ModelError(
                ModelErrorCode.NO_API_KEY,
                "no provider key: add one to the account or configure the platform key",
                retryable=False,
            )
        return self._provider

    async def key_rejected(self, account_id: UUID, provider: ModelProvider | None = None) -> None:
        logger.error("the platform provider key was rejected; runs wait until it is replaced")


class AnthropicProvider:
    def __init__(
        self, *, api_key: str, base_url: str | None, timeout_s: float, http_client: Any = None
    ) -> None:
        # Retries are ours (per policy, with leases and accounting), not the SDK's.
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=0,
            http_client=http_client,
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        started = time.perf_counter()
        try:
            # The raw response: its `anthropic-ratelimit-*` headers pace the next calls.
            raw = await self._client.messages.with_raw_response.create(
                model=request.model,
                system=request.system,  # type: ignore[arg-type]
                messages=request.messages,  # type: ignore[arg-type]
                max_tokens=request.max_tokens,
                diagnostics=_diagnostics(request),
                output_config=_output_config(request),
                # No temperature: Anthropic API version 2026-10-21 (sent by SDK 2.x) rejects
                # sampling parameters with a 400. The policy's temperature applies to providers
                # that still accept it (OpenAI-compatible endpoints).
            )
            response = await raw.parse()
        except anthropic.APIError as exc:
            raise _typed(exc, latency_ms=_ms_since(started)) from None
        usage = response.usage
        text = "".join(part.text for part in response.content if part.type == "text")
        return ModelResponse(
            text=text,
            stop_reason=response.stop_reason,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_creation_input_tokens=usage.cache_creation_input_tokens or 0,
            cache_read_input_tokens=usage.cache_read_input_tokens or 0,
            latency_ms=_ms_since(started),
            message_id=response.id,
            cache_miss_reason=_miss_reason(response),
            structured=request.output_format is not None,
            rate_limits=parse_headers(raw.headers),
        )

    @property
    def client(self) -> anthropic.AsyncAnthropic:
        """The SDK client, for the Message Batches API (`strata.worker.batch_provider`)."""
        return self._client

    async def close(self) -> None:
        await self._client.close()


def _diagnostics(request: ModelRequest) -> anthropic.types.DiagnosticsParam | anthropic.Omit:
    if request.previous_message_id is None:
        return anthropic.omit
    return {"previous_message_id": request.previous_message_id or None}


def _output_config(request: ModelRequest) -> anthropic.types.OutputConfigParam | anthropic.Omit:
    if request.output_format is None:
        return anthropic.omit
    return {"format": {"type": "json_schema", "schema": request.output_format}}


def _miss_reason(response: anthropic.types.Message) -> str | None:
    """The reason's type (`system_changed`, `previous_message_not_found`, …): what an operator
    acts on; its token figure is already in the call's cache columns."""
    diagnostics = response.diagnostics
    reason = diagnostics.cache_miss_reason if diagnostics is not None else None
    return reason.type if reason is not None else None


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


# HTTP statuses with a meaning of their own; anything else is a provider error, retryable when
# the fault is the provider's (5xx, no answer at all) and final when it is the request's (4xx).
_BY_STATUS = {
    401: (ModelErrorCode.INVALID_API_KEY, False),
    403: (ModelErrorCode.INVALID_API_KEY, False),
    413: (ModelErrorCode.OVERFLOW, False),
    429: (ModelErrorCode.RATE_LIMITED, True),
    529: (ModelErrorCode.OVERLOADED, True),
}


def classify_status(status: int | None) -> tuple[ModelErrorCode, bool]:
    """(error code, retryable) for a failed call's HTTP status (None: no answer at all)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ModelErrorCode.PROVIDER_ERROR, status is None or status >= 500


def parse_retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _typed(exc: anthropic.APIError, *, latency_ms: int) -> ModelError:
    status: int | None = getattr(exc, "status_code", None)
    if isinstance(exc, anthropic.APITimeoutError):
        code, retryable = ModelErrorCode.TIMEOUT, True
    else:
        code, retryable = classify_status(status)
    message = _describe(exc)
    return ModelError(
        code,
        message,
        retryable=retryable,
        retry_after_s=_retry_after(exc) if retryable else None,
        latency_ms=latency_ms,
        # The API names the parameter it refuses ("output_config.format.schema: …").
        format_refused=status == 400 and "output_config" in message,
        rate_limits=_reported(exc),
    )


def _reported(exc: anthropic.APIError) -> RateLimitReport | None:
    response = getattr(exc, "response", None)
    return parse_headers(response.headers) if response is not None else None


def _retry_after(exc: anthropic.APIError) -> float | None:
    response = getattr(exc, "response", None)
    return parse_retry_after(response.headers.get("retry-after") if response is not None else None)


def _describe(exc: anthropic.APIError) -> str:
    status = getattr(exc, "status_code", None)
    prefix = f"HTTP {status}: " if status else ""
    return f"{prefix}{type(exc).__name__}: {exc.message}"[:500]

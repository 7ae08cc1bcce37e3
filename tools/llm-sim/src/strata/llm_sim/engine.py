"""The /v1/messages pipeline: validate, pick a fault, answer, account tokens, wait.

Kept apart from the HTTP layer so app.py handlers stay thin.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from strata.llm_sim.answer_shape import answer_shape
from strata.llm_sim.answers import answer_text
from strata.llm_sim.cache import PromptCache
from strata.llm_sim.diagnostics import (
    DiagnosticsError,
    Fingerprints,
    fingerprint,
    miss_reason,
    previous_message_id,
)
from strata.llm_sim.faults import ERROR_KINDS, Fault, FaultInjector
from strata.llm_sim.prompt import (
    Block,
    PromptError,
    find_blocks,
    find_schema,
    request_pieces,
)
from strata.llm_sim.settings import Settings
from strata.llm_sim.structured import FormatError, output_format
from strata.llm_sim.tokens import tokens, total_tokens, truncate_to_tokens

logger = logging.getLogger(__name__)

# fault kind -> (HTTP status, Anthropic error type, message)
FAULT_ERRORS = {
    "rate_limited": (429, "rate_limit_error", "simulated: rate limit exceeded"),
    "overloaded": (529, "overloaded_error", "simulated: Overloaded"),
    "server_error": (500, "api_error", "simulated: Internal server error"),
    "unauthorized": (401, "authentication_error", "simulated: invalid x-api-key"),
}
MALFORMED_TAIL = "<<simulated malformed output"


class SimError(Exception):
    """Any non-200 answer, rendered in Anthropic's error shape by the app."""

    def __init__(
        self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message
        self.headers = headers or {}


def invalid(message: str) -> SimError:
    return SimError(400, "invalid_request_error", message)


@dataclass
class Stats:
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    tokens: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "statuses": dict(self.statuses),
            "faults": dict(self.faults),
            "tokens": dict(self.tokens),
        }


def _answered_blocks(blocks: list[Block], fault: Fault | None) -> list[Block]:
    if fault is None or fault.kind != "drop_block":
        return blocks
    target = fault.target_uid or blocks[-1].uid
    return [b for b in blocks if b.uid != target]


class Simulator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cache = PromptCache(
            ttl_seconds=settings.cache_ttl_seconds,
            min_cacheable_tokens=settings.min_cacheable_tokens,
            long_ttl_seconds=settings.cache_long_ttl_seconds,
            max_entries=settings.cache_max_entries,
        )
        self.fingerprints = Fingerprints(settings.cache_max_entries)
        self.faults = FaultInjector(
            rate=settings.fault_rate,
            kinds=settings.fault_kind_list,
            seed=settings.fault_seed,
            rules_path=settings.fault_rules,
        )
        self.stats = Stats()

    def reset(self) -> None:
        self.cache.clear()
        self.fingerprints.clear()
        self.faults.reset()
        self.stats = Stats()

    def count_tokens(self, body: dict[str, Any]) -> dict[str, int]:
        try:
            return {"input_tokens": total_tokens(p.text for p in request_pieces(body))}
        except PromptError as exc:
            raise invalid(str(exc)) from exc

    async def messages(
        self,
        *,
        body: dict[str, Any],
        api_key: str,
        forced_kind: str | None,
        request_rate: float | None,
    ) -> dict[str, Any]:
        model, max_tokens = body.get("model"), body.get("max_tokens")
        if not isinstance(model, str) or not model:
            raise invalid("model: Field required")
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise invalid("max_tokens: Field required (integer >= 1)")
        if body.get("stream"):
            raise invalid("simulator: stream=true is not supported; use non-streaming requests")
        try:
            pieces = request_pieces(body)
            schema, blocks = find_schema(pieces), find_blocks(pieces)
            diagnose, previous_id = previous_message_id(body)
            structured = output_format(body, max_schema_bytes=self.settings.max_output_schema_bytes)
        except (PromptError, DiagnosticsError, FormatError) as exc:
            raise invalid(str(exc)) from exc

        fault = self.faults.decide(
            blocks=blocks, forced_kind=forced_kind, request_rate=request_rate
        )
        if fault is not None:
            self.stats.faults[fault.kind] += 1
            logger.info("injecting fault %s (target %s)", fault.kind, fault.target_uid)
            if fault.kind in ERROR_KINDS:
                status, error_type, message = FAULT_ERRORS[fault.kind]
                headers = (
                    {"retry-after": str(self.settings.retry_after_seconds)} if status == 429 else {}
                )
                raise SimError(status, error_type, message, headers)
            if fault.kind == "stall":
                await asyncio.sleep(self.settings.stall_seconds)

        shape = answer_shape(pieces, schema, structured)
        text = answer_text(
            [(b.uid, b.text) for b in _answered_blocks(blocks, fault)],
            schema,
            sparse=shape.sparse,
            rows=shape.rows,
        )
        # Decoding under a format cannot produce broken JSON, so that fault cannot happen.
        if fault is not None and fault.kind == "malformed" and structured is None:
            text = text[: len(text) // 2] + MALFORMED_TAIL  # cut mid-JSON: never parses
        usage = self.cache.account(api_key=api_key, model=model, pieces=pieces)
        message_id = f"msg_sim_{secrets.token_hex(12)}"
        current = fingerprint(model=model, pieces=pieces, usage=usage)
        self.fingerprints.put(api_key, message_id, current)
        diagnostics = None
        if diagnose and previous_id is not None:
            reason = miss_reason(
                self.fingerprints.get(api_key, previous_id),
                current,
                usage,
                breakpoints=any(p.cache_control for p in pieces),
            )
            diagnostics = None if reason is None else {"cache_miss_reason": reason}
        output_tokens, stop_reason = tokens(text), "end_turn"
        if output_tokens > max_tokens:
            text, output_tokens, stop_reason = (
                truncate_to_tokens(text, max_tokens),
                max_tokens,
                "max_tokens",
            )

        delay_ms = (
            self.settings.latency_ms + self.settings.latency_per_output_token_ms * output_tokens
        )
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)
        usage_body = {
            "input_tokens": usage.input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": usage.cache_creation_input_tokens
                - usage.cache_creation_1h_input_tokens,
                "ephemeral_1h_input_tokens": usage.cache_creation_1h_input_tokens,
            },
        }
        self.stats.tokens.update({k: v for k, v in usage_body.items() if isinstance(v, int)})
        self.stats.tokens["blocks"] += len(blocks)
        return {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage_body,
            "diagnostics": diagnostics,
        }

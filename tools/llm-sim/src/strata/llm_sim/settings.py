"""Runtime settings, all overridable from the environment with the LLMSIM_ prefix."""

from __future__ import annotations

import logging

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.llm_sim.ratelimit import Limits

logger = logging.getLogger(__name__)


def _split_csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LLMSIM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8787
    log_level: str = "info"

    # Comma lists are kept as plain strings: pydantic-settings would otherwise
    # demand JSON for list fields, which is awkward to type in a shell.
    invalid_keys: str = "invalid-key"

    # Unset: each model's own minimum cacheable prefix (cache_rules.MIN_CACHEABLE_TOKENS), which
    # keeps cache hit rates measured against the simulator honest; a number forces one for all.
    min_cacheable_tokens: int | None = None
    cache_ttl_seconds: float = 300.0  # ttl "5m"
    cache_long_ttl_seconds: float = 3600.0  # ttl "1h"
    cache_max_entries: int = 10_000
    max_output_schema_bytes: int = 100_000  # larger `output_config.format` schemas get a 400

    latency_ms: float = 0.0
    latency_per_output_token_ms: float = 0.0

    fault_rate: float = 0.0
    fault_kinds: str = "rate_limited,overloaded,server_error"
    fault_seed: int | None = None
    fault_rules: str | None = None  # path to a JSON rule file, re-read on mtime change
    retry_after_seconds: int = 1
    stall_seconds: float = 120.0

    # Message Batches: a batch ends this long after creation (the real API: usually within an
    # hour, at most 24 hours); one whose delay reaches its expiry ends with every request
    # expired. The rates make single requests error or expire (seeded by fault_seed).
    batch_processing_seconds: float = 5.0
    batch_expiry_seconds: float = 86_400.0
    batch_error_rate: float = 0.0
    batch_expired_rate: float = 0.0

    # Per-key (and model) limits per minute, as token buckets (ratelimit.py); unset: unlimited,
    # and no anthropic-ratelimit-* headers at all.
    ratelimit_requests_per_minute: int | None = Field(None, ge=1)
    ratelimit_input_tokens_per_minute: int | None = Field(None, ge=1)
    ratelimit_output_tokens_per_minute: int | None = Field(None, ge=1)
    ratelimit_remaining_rounding: int = Field(1000, ge=1)  # the API rounds to thousands

    @property
    def limits(self) -> Limits:
        return Limits(
            requests_per_minute=self.ratelimit_requests_per_minute,
            input_tokens_per_minute=self.ratelimit_input_tokens_per_minute,
            output_tokens_per_minute=self.ratelimit_output_tokens_per_minute,
        )

    @property
    def invalid_key_set(self) -> frozenset[str]:
        return frozenset(_split_csv(self.invalid_keys))

    @property
    def fault_kind_list(self) -> list[str]:
        return _split_csv(self.fault_kinds)

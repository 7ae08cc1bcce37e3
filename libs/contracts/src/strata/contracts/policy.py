"""Runtime policy. A run freezes a snapshot of the effective policy when it is created."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class BatchingMode(StrEnum):
    ADAPTIVE = "adaptive"
    FIXED = "fixed"


class PromptCacheTtl(StrEnum):
    """Lifetime of the cached constant prompt: 1 hour writes at 2x input instead of 1.25x and
    pays where calls are more than five minutes apart (deferred and long runs)."""

    FIVE_MINUTES = "5m"
    ONE_HOUR = "1h"


class RunMode(StrEnum):
    """How a run's packs reach the model: one call each as they come (`realtime`), or gathered
    into the provider's Message Batches (`deferred`: half price, results within 24 hours)."""

    REALTIME = "realtime"
    DEFERRED = "deferred"


class PolicySnapshot(BaseModel):
    """Every knob a run obeys. Bounds are validated here so a bad edit never reaches a run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Blank would make every call of the run fail at the provider: refused here, where both the
    # admin policy and a run's overrides are validated.
    model: str = Field("claude-sonnet-4-6", min_length=1, max_length=200, pattern=r"\S")
    temperature: float = Field(0.3, ge=0.0, le=1.0)
    max_tokens: int = Field(8192, ge=16, le=64000)
    prompt_caching_enabled: bool = True
    prompt_cache_ttl: PromptCacheTtl = PromptCacheTtl.FIVE_MINUTES
    # Answers leave out null and default values (the validator restores them before validating):
    # output tokens are most of a run's bill. Off: every key is written, as before.
    sparse_answers: bool = True
    # Answers as rows: each block's values in a field order the prompt states once, no keys (see
    # strata.planning.answer_rows); the worker restores the keys and validates as before. Wins
    # over sparse answers where the schema has top-level fields. Off: objects, as before.
    row_answers: bool = True
    # Constrain each answer to a JSON Schema of the pack (`output_config.format`) on models that
    # support it; a provider that refuses the schema is retried once without it.
    structured_outputs: bool = True
    batching_enabled: bool = True
    batching_mode: BatchingMode = BatchingMode.ADAPTIVE
    fixed_pack_size: int = Field(20, ge=1, le=500)
    min_pack_size: int = Field(1, ge=1, le=500)
    max_pack_size: int = Field(100, ge=1, le=500)
    context_budget_tokens: int = Field(150_000, ge=1_000, le=1_000_000)
    context_safety_margin: float = Field(0.2, ge=0.0, le=0.9)
    output_tokens_per_block: int = Field(48, ge=1, le=16_000)
    output_safety_margin: float = Field(0.25, ge=0.0, le=0.9)
    split_on_overflow: bool = True
    max_attempts: int = Field(3, ge=1, le=20)
    retry_backoff: float = Field(2.0, ge=0.0, le=600.0)
    lease_seconds: int = Field(120, ge=5, le=3600)
    # A cap must be finite and above zero: 0 would make the run wait for ever, and Infinity is no
    # cap; the ledger holds numeric(14, 8). A run's cap can be raised later (gateway).
    budget_usd: float | None = Field(None, gt=0.0, lt=1_000_000.0, allow_inf_nan=False)
    # The run's mode (chosen at creation: the `mode` field, else this default, else deferred
    # when the run has more blocks than `deferred_above_blocks`).
    mode: RunMode = RunMode.REALTIME
    deferred_above_blocks: int | None = Field(None, ge=1, le=100_000_000)

    @model_validator(mode="after")
    def _pack_bounds(self) -> "PolicySnapshot":
        if self.min_pack_size > self.max_pack_size:
            raise ValueError("min_pack_size must not exceed max_pack_size")
        return self

    def with_overrides(self, overrides: dict[str, Any]) -> "PolicySnapshot":
        """A new, validated snapshot with some keys replaced (per-run overrides)."""
        return PolicySnapshot.model_validate({**self.model_dump(), **overrides})


# Keys a run may override at creation; the rest are the admin's alone.
RUN_OVERRIDABLE_KEYS = frozenset(
    {
        "model",
        "temperature",
        "max_tokens",
        "budget_usd",
        "batching_enabled",
        "prompt_caching_enabled",
        "prompt_cache_ttl",
        "sparse_answers",
        "row_answers",
        "structured_outputs",
    }
)

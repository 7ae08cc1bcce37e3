"""Worker settings (env prefix WORKER_). Secrets have no defaults; a bad value stops the start."""

import os
import socket

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.runtime.settings import CommonSettings


def _default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKER_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    # /healthz, /readyz and /metrics (0 = any free port, logged at start).
    http_port: int = Field(9103, ge=0, le=65535)
    # The platform's provider key, used when the account has none of its own.
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    request_timeout_s: float = Field(120.0, gt=0)
    # Packs processed at once by one process (= prefetch of the pack queue).
    concurrency: int = Field(8, ge=1, le=256)
    # Deferred runs (Message Batches): how often a submitted batch is polled, how long a run's
    # first queued pack waits for the rest of its packs, the lease of one submit or poll step
    # (another worker takes over once it runs out) and the requests per batch (the API: 100k).
    batch_poll_s: float = Field(30.0, gt=0, le=3600)
    batch_gather_s: float = Field(5.0, ge=0, le=3600)
    batch_lease_s: float = Field(300.0, ge=5, le=3600)
    batch_max_requests: int = Field(10_000, ge=1, le=100_000)
    # Share of each rate limit kept free when pacing calls (strata.worker.limiter): room for
    # token estimates that run short; steady throughput is the limit's whole refill rate anyway.
    rate_limit_headroom: float = Field(0.02, ge=0.0, le=0.5)
    # Blocks a planning step writes in one transaction (one run.plan-requested each).
    plan_chunk_blocks: int = Field(5000, ge=10, le=100_000)
    # Written to claimed_by; env WORKER_ID.
    id: str = Field(default_factory=_default_worker_id)

    @field_validator("anthropic_api_key")
    @classmethod
    def _no_placeholder(cls, value: str | None) -> str | None:
        if value is not None and value.strip() in {"", "changeme", "your-key-here"}:
            raise ValueError("WORKER_ANTHROPIC_API_KEY is a placeholder; unset it or give a key")
        return value

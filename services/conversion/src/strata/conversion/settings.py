"""Conversion settings (env prefix CONVERSION_); a bad value stops the process at start."""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.runtime.settings import CommonSettings


class ConversionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONVERSION_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)  # type: ignore[arg-type]
    # Worker processes doing the CPU work; the event loop only waits on them.
    processes: int = Field(1, ge=1, le=64)
    # A document whose conversion runs longer fails with `conversion_error`.
    timeout_s: float = Field(120.0, gt=0, le=3600)
    # Unacked messages in flight; defaults to one per process (more would only queue in the pool).
    prefetch: int | None = Field(None, ge=1, le=1000)

    @model_validator(mode="after")
    def _default_prefetch(self) -> Self:
        if self.prefetch is None:
            self.prefetch = self.processes
        return self

"""Ingest settings (env prefix INGEST_); a bad value stops the process at start."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.runtime.settings import CommonSettings

MIB = 1024 * 1024


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)  # type: ignore[arg-type]
    # Larger files fail with `file_too_large` before they are read.
    max_bytes: int = Field(50 * MIB, gt=0, le=10 * 1024 * MIB)
    prefetch: int = Field(8, ge=1, le=1000)

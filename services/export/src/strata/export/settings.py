"""Export settings (env prefix EXPORT_)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.runtime.settings import CommonSettings


class ExportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXPORT_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    # /healthz, /readyz and /metrics (0 = any free port, logged at start).
    http_port: int = Field(9105, ge=0, le=65535)
    prefetch: int = Field(2, ge=1, le=64)
    # Rows fetched per round trip while streaming a run's overlays into the file.
    fetch_rows: int = Field(2000, ge=10, le=100_000)

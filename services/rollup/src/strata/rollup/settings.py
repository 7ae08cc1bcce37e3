"""Rollup settings (env prefix ROLLUP_)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.runtime.settings import CommonSettings


class RollupSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROLLUP_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    # /healthz, /readyz and /metrics (0 = any free port, logged at start).
    http_port: int = Field(9104, ge=0, le=65535)
    # How often active runs are recomputed and expired claims reaped, whatever messages say.
    sweep_interval_s: float = Field(5.0, gt=0, le=3600)
    prefetch: int = Field(32, ge=1, le=1000)
    # A busy run is recounted at most this often (its progress events are that fresh).
    min_recompute_interval_s: float = Field(0.5, ge=0, le=60)

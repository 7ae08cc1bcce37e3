"""Notify settings (env prefix NOTIFY_)."""

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.crypto import CryptoSettings
from strata.notify.retries import RetryPolicy
from strata.runtime.settings import CommonSettings
from strata.runtime.targets import TargetSettings

DAY_S = 24 * 3600


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    # STRATA_MASTER_KEY opens the webhook signing secrets the gateway sealed.
    crypto: CryptoSettings = Field(default_factory=CryptoSettings)
    targets: TargetSettings = Field(default_factory=TargetSettings)
    # Probes (/healthz, /readyz) and /metrics; 0 = any free port.
    http_port: int = Field(9106, ge=0, le=65535)
    # Webhooks: first retry after 5 s, x4 each time, at most 2 h apart, for 25 h; a
    # subscription whose deliveries all failed for a day is disabled.
    retry_first_delay_s: float = Field(5.0, gt=0)
    retry_factor: float = Field(4.0, ge=1)
    retry_max_delay_s: float = Field(7200.0, gt=0)
    retry_window_s: float = Field(25 * 3600.0, gt=0)
    disable_after_s: float = Field(float(DAY_S), gt=0)
    delivery_timeout_s: float = Field(10.0, gt=0, le=120)
    delivery_batch: int = Field(50, ge=1, le=1000)
    # How often due retries are looked for when no new event wakes the loop.
    delivery_poll_s: float = Field(1.0, gt=0, le=60)

    @model_validator(mode="after")
    def _sane(self) -> "NotifySettings":
        if self.retry_max_delay_s < self.retry_first_delay_s:
            raise ValueError("NOTIFY_RETRY_MAX_DELAY_S must be at least NOTIFY_RETRY_FIRST_DELAY_S")
        return self

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            first_delay_s=self.retry_first_delay_s,
            factor=self.retry_factor,
            max_delay_s=self.retry_max_delay_s,
            retry_window_s=self.retry_window_s,
            disable_after_s=self.disable_after_s,
        )

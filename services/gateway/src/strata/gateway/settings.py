"""Gateway settings (env prefix GATEWAY_), composed with the settings every service shares."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.crypto import CryptoSettings
from strata.runtime.settings import CommonSettings
from strata.runtime.targets import TargetSettings

MIB = 1024 * 1024


class GatewaySettings(BaseSettings):
    # Bounds are validated here so a typo in the environment stops the process at start.
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8000, ge=1, le=65535)
    max_upload_bytes: int = Field(50 * MIB, ge=1, description="largest accepted upload")
    page_size_max: int = Field(500, ge=1, le=10_000, description="largest `limit` a page accepts")
    common: CommonSettings = Field(default_factory=CommonSettings)
    # Provider keys (/v1/keys): STRATA_MASTER_KEY seals them; validation makes one cheap call.
    crypto: CryptoSettings = Field(default_factory=CryptoSettings)
    anthropic_base_url: str = Field("https://api.anthropic.com", min_length=1)
    key_validation_model: str = Field("claude-haiku-4-5", min_length=1)
    key_validation_timeout_s: float = Field(10.0, gt=0, le=120)
    # Live events: a comment line this often keeps proxies from closing an idle stream.
    sse_heartbeat_s: float = Field(15.0, gt=0, le=300)
    # Webhook URLs obey the egress rules (STRATA_ALLOW_PRIVATE_TARGETS relaxes them).
    targets: TargetSettings = Field(default_factory=TargetSettings)

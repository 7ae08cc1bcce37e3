"""Gateway settings (env prefix GATEWAY_), composed with the settings every service shares."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.runtime.settings import CommonSettings

MIB = 1024 * 1024


class GatewaySettings(BaseSettings):
    # Bounds are validated here so a typo in the environment stops the process at start.
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8000, ge=1, le=65535)
    max_upload_bytes: int = Field(50 * MIB, ge=1, description="largest accepted upload")
    page_size_max: int = Field(500, ge=1, le=10_000, description="largest `limit` a page accepts")
    common: CommonSettings = Field(default_factory=CommonSettings)  # type: ignore[arg-type]

"""Settings every service shares (env prefix STRATA_). Each service composes them into its own
settings class; a bad or missing value stops the process at start, not at first use."""

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STRATA_", extra="ignore")

    database_url: str = Field(description="postgresql://user@host:port/db")
    amqp_url: str = Field(description="amqp://user:pass@host:port/vhost")
    blob_root: Path = Field(description="folder where uploads and exports are stored")
    db_pool_size: int = Field(10, ge=1, le=200)
    log_level: str = "INFO"
    log_json: bool = False
    # How long a starting process waits for Postgres and RabbitMQ before it gives up.
    startup_timeout_s: float = Field(60.0, gt=0, le=3600)
    # Seconds after which the relay re-publishes an outbox row its producer did not publish.
    outbox_relay_after_s: float = Field(5.0, gt=0)
    # Where a consumer service serves /healthz, /readyz and /metrics (its port is a setting of
    # its own, e.g. WORKER_HTTP_PORT); 0.0.0.0 in a container so probes and scrapes reach it.
    http_host: str = Field("127.0.0.1", min_length=1)

    @field_validator("database_url")
    @classmethod
    def _postgres(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("STRATA_DATABASE_URL must be a postgresql:// URL")
        return value

    @field_validator("amqp_url")
    @classmethod
    def _amqp(cls, value: str) -> str:
        if not value.startswith(("amqp://", "amqps://")):
            raise ValueError("STRATA_AMQP_URL must be an amqp:// URL")
        return value


class TargetSettings(BaseSettings):
    """Where Strata may send requests for a user (webhook URLs; `strata.runtime.targets`)."""

    model_config = SettingsConfigDict(env_prefix="STRATA_", extra="ignore")

    allow_private_targets: bool = Field(
        False, description="let webhooks reach private, loopback and link-local addresses"
    )

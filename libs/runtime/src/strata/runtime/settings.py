"""Settings every service shares (env prefix STRATA_). Each service composes them into its own
settings class; a bad or missing value stops the process at start, not at first use."""

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.runtime.blobs import BlobConfig, BlobConfigError, check_config


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STRATA_", extra="ignore")

    database_url: str = Field(description="postgresql://user@host:port/db")
    amqp_url: str = Field(description="amqp://user:pass@host:port/vhost")
    # Blob storage (uploads, exports): blob_url when set (the image sets blob_root, so a URL
    # given to a container wins over it), else the local folder blob_root.
    blob_root: Path | None = Field(None, description="folder where uploads and exports are stored")
    blob_url: str | None = Field(None, description="file:///folder or s3://bucket/prefix")
    blob_endpoint: str | None = Field(None, description="S3 endpoint (MinIO, Ceph); unset: AWS")
    blob_region: str | None = None
    blob_access_key_id: str | None = None
    blob_secret_access_key: SecretStr | None = None
    blob_allow_http: bool = Field(False, description="allow an http:// S3 endpoint (no TLS)")
    # Seconds a presigned export download URL lives; 0 = the gateway streams downloads itself.
    blob_presign_ttl_s: int = Field(0, ge=0)
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

    @model_validator(mode="after")
    def _blob_store(self) -> Self:
        if self.blob_root is None and self.blob_url is None:
            raise ValueError("set STRATA_BLOB_URL (file:// or s3://) or STRATA_BLOB_ROOT")
        try:
            check_config(self.blob_config())
        except BlobConfigError as exc:
            raise ValueError(f"blob storage settings (STRATA_BLOB_*): {exc}") from None
        return self

    def blob_config(self) -> BlobConfig:
        secret = self.blob_secret_access_key
        return BlobConfig(
            url=self.blob_url or self.blob_root.resolve().as_uri(),  # type: ignore[union-attr]
            endpoint=self.blob_endpoint,
            region=self.blob_region,
            access_key_id=self.blob_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            allow_http=self.blob_allow_http,
            presign_ttl_s=self.blob_presign_ttl_s,
        )


class TargetSettings(BaseSettings):
    """Where Strata may send requests for a user (webhook URLs; `strata.runtime.targets`)."""

    model_config = SettingsConfigDict(env_prefix="STRATA_", extra="ignore")

    allow_private_targets: bool = Field(
        False, description="let webhooks reach private, loopback and link-local addresses"
    )

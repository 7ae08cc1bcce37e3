"""Gateway settings (env prefix GATEWAY_), composed with the settings every service shares."""

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.crypto import CryptoSettings
from strata.planning.schema_bounds import SchemaLimits
from strata.runtime.egress import EgressSettings
from strata.runtime.settings import CommonSettings
from strata.runtime.targets import TargetSettings

MIB = 1024 * 1024


class GatewaySettings(BaseSettings):
    # Bounds are validated here so a typo in the environment stops the process at start.
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8000, ge=1, le=65535)
    max_upload_bytes: int = Field(50 * MIB, ge=1, description="largest accepted upload")
    max_body_bytes: int = Field(
        MIB, ge=1024, description="largest request body other than an upload (JSON bodies)"
    )
    rate_limit_per_minute: int = Field(
        1200, ge=0, description="requests per account per minute, all processes together; 0 = off"
    )
    max_active_runs: int = Field(
        20, ge=0, description="pending or running runs an account may have at once; 0 = no limit"
    )
    page_size_max: int = Field(500, ge=1, le=10_000, description="largest `limit` a page accepts")
    # What an extraction schema may be (checked on save; see docs/runbook.md, Security).
    schema_max_bytes: int = Field(64 * 1024, ge=1024, le=16 * MIB)
    schema_max_depth: int = Field(32, ge=4, le=200)
    schema_max_properties: int = Field(300, ge=1, le=100_000)
    schema_max_enum_values: int = Field(500, ge=1, le=100_000)
    schema_max_expanded_nodes: int = Field(20_000, ge=10, le=10_000_000)
    common: CommonSettings = Field(default_factory=CommonSettings)
    # Provider keys (/v1/keys): STRATA_MASTER_KEY seals them; validation makes one cheap call.
    crypto: CryptoSettings = Field(default_factory=CryptoSettings)
    # Where user provider keys may point (STRATA_ALLOWED_PRIVATE_HOSTS).
    egress: EgressSettings = Field(default_factory=EgressSettings)
    anthropic_base_url: str = Field("https://api.anthropic.com", min_length=1)
    key_validation_model: str = Field("claude-haiku-4-5", min_length=1)
    key_validation_timeout_s: float = Field(10.0, gt=0, le=120)
    # Previews: a small real run answered within the request (issue 11).
    preview_max_blocks: int = Field(20, ge=1, le=500, description="largest preview sample")
    preview_wait_s: float = Field(20.0, ge=0, le=120, description="how long a preview waits")

    @property
    def schema_limits(self) -> SchemaLimits:
        return SchemaLimits(
            max_bytes=self.schema_max_bytes,
            max_depth=self.schema_max_depth,
            max_properties=self.schema_max_properties,
            max_enum_values=self.schema_max_enum_values,
            max_expanded_nodes=self.schema_max_expanded_nodes,
        )
    # Live events: a comment line this often keeps proxies from closing an idle stream.
    sse_heartbeat_s: float = Field(15.0, gt=0, le=300)
    # Webhook URLs obey the egress rules (STRATA_ALLOW_PRIVATE_TARGETS relaxes them).
    targets: TargetSettings = Field(default_factory=TargetSettings)
    # Commands by message: the folders `ingest.requested` may read file:// URIs from, separated
    # like PATH (`:`); empty = file:// refused (`source_not_allowed`).
    import_roots: str = Field("", description="folders file:// ingest commands may read")
    import_buckets: str = Field(
        "", description="buckets s3:// ingest commands may read (comma-separated; STRATA_BLOB_*)"
    )
    commands_prefetch: int = Field(4, ge=1, le=100, description="commands handled at once")

    @field_validator("import_roots")
    @classmethod
    def _roots_exist(cls, value: str) -> str:
        for root in _split_roots(value):
            if not root.is_absolute() or not root.is_dir():
                raise ValueError(f"GATEWAY_IMPORT_ROOTS: {root} is not an absolute directory")
        return value

    @property
    def import_root_paths(self) -> list[Path]:
        return _split_roots(self.import_roots)

    @property
    def import_bucket_names(self) -> list[str]:
        return [b.strip() for b in self.import_buckets.split(",") if b.strip()]


def _split_roots(value: str) -> list[Path]:
    return [Path(part) for part in value.split(os.pathsep) if part.strip()]

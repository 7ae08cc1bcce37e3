"""Ingest settings (env prefix INGEST_); a bad value stops the process at start."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.ingest.limits import IngestLimits
from strata.runtime.settings import CommonSettings

MIB = 1024 * 1024


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    # /healthz, /readyz and /metrics (0 = any free port, logged at start).
    http_port: int = Field(9101, ge=0, le=65535)
    # Larger files fail with `file_too_large` before they are read.
    max_bytes: int = Field(50 * MIB, gt=0, le=10 * 1024 * MIB)
    prefetch: int = Field(8, ge=1, le=1000)
    # Office packages, from the ZIP central directory before anything is unpacked.
    max_zip_entries: int = Field(5_000, ge=10, le=1_000_000)
    max_uncompressed_bytes: int = Field(512 * MIB, gt=0, le=64 * 1024 * MIB)
    max_compression_ratio: float = Field(100.0, ge=2, le=100_000)
    max_slides: int = Field(500, ge=1, le=100_000)
    max_sheets: int = Field(100, ge=1, le=10_000)
    # HTML nested deeper fails with `html_too_deep` before any parser reads it.
    max_html_depth: int = Field(256, ge=16, le=10_000)

    def limits(self) -> IngestLimits:
        return IngestLimits(
            max_bytes=self.max_bytes,
            max_zip_entries=self.max_zip_entries,
            max_uncompressed_bytes=self.max_uncompressed_bytes,
            max_compression_ratio=self.max_compression_ratio,
            max_slides=self.max_slides,
            max_sheets=self.max_sheets,
            max_html_depth=self.max_html_depth,
        )

"""Conversion settings (env prefix CONVERSION_); a bad value stops the process at start."""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.conversion.limits import Limits
from strata.runtime.settings import CommonSettings


class ConversionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONVERSION_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    # /healthz, /readyz and /metrics (0 = any free port, logged at start).
    http_port: int = Field(9102, ge=0, le=65535)
    # Worker processes doing the CPU work; the event loop only waits on them.
    processes: int = Field(1, ge=1, le=64)
    # A document whose conversion runs longer fails with `conversion_timeout`.
    timeout_s: float = Field(120.0, gt=0, le=3600)
    # Address space of one worker process (RLIMIT_AS); past it the document fails with
    # `out_of_memory`. 0 = no limit.
    memory_mb: int = Field(6144, ge=0, le=1024 * 1024)
    # Unacked messages in flight; defaults to one per process (more would only queue in the pool).
    prefetch: int | None = Field(None, ge=1, le=1000)
    # The largest file converted (keep it at least INGEST_MAX_BYTES): a larger one fails with
    # `file_too_large` before it is copied out of object storage.
    max_bytes: int = Field(50 * 1024 * 1024, ge=1)
    max_pages: int = Field(500, ge=1, le=100_000)
    max_rows: int = Field(100_000, ge=1, le=10_000_000)
    max_cell_chars: int = Field(100_000, ge=100, le=100_000_000)
    table_rows_per_block: int = Field(100, ge=1, le=100_000)
    # Folder with docling's layout and table weights (`make models`); unset or without them,
    # PDFs take the model-free path.
    docling_artifacts_path: str | None = None
    pdf_tables: bool = True
    # Text longer than this (estimated tokens) is cut into consecutive blocks.
    max_block_tokens: int = Field(4_000, ge=100, le=1_000_000)
    # OCR: more pages needing it fail with `too_many_pages`; larger images with `image_too_large`.
    ocr_max_pages: int = Field(30, ge=1, le=10_000)
    ocr_dpi: int = Field(300, ge=72, le=600)
    ocr_max_pixels: int = Field(100_000_000, ge=1_000_000, le=2_000_000_000)
    # Import docling and build its converters when a worker starts, not on its first document.
    warm_up: bool = True

    @model_validator(mode="after")
    def _default_prefetch(self) -> Self:
        if self.prefetch is None:
            self.prefetch = self.processes
        return self

    def limits(self) -> Limits:
        return Limits(
            max_bytes=self.max_bytes,
            max_pages=self.max_pages,
            max_rows=self.max_rows,
            max_cell_chars=self.max_cell_chars,
            table_rows_per_block=self.table_rows_per_block,
            docling_artifacts_path=self.docling_artifacts_path,
            pdf_tables=self.pdf_tables,
            max_block_tokens=self.max_block_tokens,
            ocr_max_pages=self.ocr_max_pages,
            ocr_dpi=self.ocr_dpi,
            ocr_max_pixels=self.ocr_max_pixels,
        )

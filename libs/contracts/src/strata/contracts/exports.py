"""The vocabulary of exports."""

from enum import StrEnum


class ExportStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class ExportFormat(StrEnum):
    JSONL = "jsonl"

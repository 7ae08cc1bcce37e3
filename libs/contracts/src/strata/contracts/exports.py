"""The vocabulary of exports."""

from enum import StrEnum


class ExportStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    XLSX = "xlsx"
    MD = "md"


class ExportContent(StrEnum):
    """Which values an export carries: what people confirmed (the default), what the model
    staged, or confirmed where present and staged otherwise."""

    CONFIRMED = "confirmed"
    STAGED = "staged"
    MERGED = "merged"


class ExportScope(StrEnum):
    RUN = "run"
    DOCUMENT = "document"  # one document of a run
    PROJECT = "project"  # every document of a project, for one schema, across runs


# What a download of each format is served as (by the gateway, or by object storage when the
# gateway redirects to a presigned URL: the exporter stores the type with the file).
MEDIA_TYPES = {
    ExportFormat.JSONL: "application/x-ndjson",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.MD: "text/markdown; charset=utf-8",
}


def download_path(export_id: object) -> str:
    """Where the gateway serves an export's file (announced in `export.completed`)."""
    return f"/v1/exports/{export_id}/download"

"""Asking for exports, naming their files, and forgetting them (the export service builds them).

Scopes: a run, one document of a run, or a project for one schema version (the latest value of
every block across that schema's runs). The request row and its `export.requested` commit
together (outbox).
"""

from uuid import UUID, uuid4

import asyncpg

from strata.contracts.exports import ExportContent, ExportFormat, ExportScope
from strata.contracts.messages import ExportRequested
from strata.gateway.domain.blob_cleanup import discard_blob
from strata.gateway.sql import Q
from strata.gateway.web.errors import ApiError, not_found
from strata.runtime.blobs import BlobStore
from strata.runtime.outbox import Outbox


async def request_run_export(
    outbox: Outbox,
    *,
    account_id: UUID,
    run_id: UUID,
    fmt: ExportFormat,
    content: ExportContent,
    document_id: UUID | None,
) -> asyncpg.Record:
    async with outbox.transaction() as uow:
        run = await uow.conn.fetchrow(Q.export_run, run_id, account_id)
        if run is None:
            raise not_found("run")
        if document_id is not None and not await uow.conn.fetchval(
            Q.run_has_document, run_id, document_id
        ):
            # Unknown, another account's, or not in this run: one answer for all three.
            raise ApiError(422, "document_not_in_run", "the document is not one of this run's")
        scope = ExportScope.RUN if document_id is None else ExportScope.DOCUMENT
        row = await uow.conn.fetchrow(
            Q.insert_export,
            uuid4(),
            account_id,
            run["project_id"],
            run_id,
            scope.value,
            content.value,
            document_id,
            run["schema_id"],
            fmt.value,
        )
        uow.emit(ExportRequested(export_id=row["id"]))
    return row


async def request_project_export(
    outbox: Outbox,
    *,
    account_id: UUID,
    project_id: UUID,
    schema_id: UUID,
    fmt: ExportFormat,
    content: ExportContent,
) -> asyncpg.Record:
    async with outbox.transaction() as uow:
        if await uow.conn.fetchrow(Q.get_project, project_id, account_id) is None:
            raise not_found("project")
        if await uow.conn.fetchrow(Q.project_schema, schema_id, project_id, account_id) is None:
            raise not_found("schema")
        row = await uow.conn.fetchrow(
            Q.insert_export,
            uuid4(),
            account_id,
            project_id,
            None,
            ExportScope.PROJECT.value,
            content.value,
            None,
            schema_id,
            fmt.value,
        )
        uow.emit(ExportRequested(export_id=row["id"]))
    return row


async def delete_export(
    pool: asyncpg.Pool, blobs: BlobStore, *, account_id: UUID, export_id: UUID
) -> None:
    """The row first, then the file: a file without a row is garbage nobody can reach, a row
    without its file would be a broken download. An export still being built is deleted too;
    the export service throws its file away when it finds the row gone."""
    row = await pool.fetchrow(Q.delete_export, export_id, account_id)
    if row is None:
        raise not_found("export")
    await discard_blob(blobs, row["blob_key"] or f"exports/{export_id}.{row['format']}")


def download_name(row: asyncpg.Record) -> str:
    """A file name people recognise: the document's, or the project's, plus the schema."""
    fmt, schema = row["format"], f"{row['schema_name']}-v{row['schema_version']}"
    if row["scope"] == ExportScope.DOCUMENT:
        stem = row["document_filename"].rpartition(".")[0] or row["document_filename"]
        return f"{stem}-{schema}.{fmt}"
    if row["scope"] == ExportScope.PROJECT:
        return f"{row['project_name']}-{schema}.{fmt}"
    return f"run-{row['run_id']}-{schema}.{fmt}"

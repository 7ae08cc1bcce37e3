"""Deleting projects, documents, schemas and runs.

What happens, in order:
1. Runs that may still call the model are cancelled first with the lifecycle's own cancel
   (`run_control.cancel_run`): no new claims, `run.cancelled` published, a late answer is
   discarded by the worker (it settles only claims still its own).
2. The rows go in one transaction; the foreign keys cascade blocks, overlays, llm_calls,
   budgets, exports and run_documents. Every statement filters by the caller's account, so
   nothing of another tenant can be touched.
3. After the commit, the blob files the deleted rows owned (uploads, export files) are deleted.
   Never before: a rolled-back delete must not lose a live file. A crash between commit and
   file deletion leaves orphan files, never a row pointing at a missing file.

A schema that runs used answers `409 schema_in_use` (the runs' results name their schema; delete
the runs first). A document that runs cover answers `409 document_in_use` unless `force`, which
deletes those runs with it (a run without one of its documents would be a different run).
"""

from uuid import UUID

from strata.gateway.domain.blob_cleanup import discard_blob
from strata.gateway.domain.run_control import cancel_run
from strata.gateway.sql import Q
from strata.gateway.web.deps import Resources
from strata.gateway.web.errors import ApiError, not_found
from strata.runtime.blobs import BlobStore

ACTIVE = ("planning", "pending", "running")


async def _cancel(res: Resources, run_ids: list[UUID], account_id: UUID) -> None:
    for run_id in run_ids:
        try:
            await cancel_run(res.outbox, run_id=run_id, account_id=account_id)
        except ApiError as exc:
            if exc.code not in ("run_complete", "not_found"):  # finished or gone meanwhile
                raise


async def _delete_blobs(blobs: BlobStore, keys: list[str | None]) -> None:
    # After the commit: a blob storage failure leaves orphans (logged), never fails the delete.
    for key in keys:
        if key:
            await discard_blob(blobs, key)


async def delete_run(res: Resources, *, run_id: UUID, account_id: UUID) -> None:
    status = await res.pool.fetchval(Q.run_status, run_id, account_id)
    if status is None:
        raise not_found("run")
    if status in ACTIVE:
        await _cancel(res, [run_id], account_id)
    row = await res.pool.fetchrow(Q.delete_runs, [run_id], account_id)
    if row["runs"] == 0:
        raise not_found("run")
    await _delete_blobs(res.blobs, row["blob_keys"])


async def delete_document(
    res: Resources, *, document_id: UUID, account_id: UUID, force: bool
) -> None:
    runs = await res.pool.fetch(Q.document_runs, document_id, account_id)
    if runs and not force:
        raise ApiError(
            409,
            "document_in_use",
            f"{len(runs)} run(s) cover this document; delete them first or pass force=true",
        )
    await _cancel(res, [r["id"] for r in runs if r["status"] in ACTIVE], account_id)
    async with res.pool.acquire() as conn, conn.transaction():
        # Runs made after the check above are covered too: they are read again here.
        run_ids = [r["id"] for r in await conn.fetch(Q.document_runs, document_id, account_id)]
        if run_ids and not force:
            raise ApiError(409, "document_in_use", "a run started covering this document")
        gone_runs = await conn.fetchrow(Q.delete_runs, run_ids, account_id)
        exports = await conn.fetch(Q.document_export_blob_keys, document_id, account_id)
        document_key = await conn.fetchval(Q.delete_document, document_id, account_id)
        if document_key is None:
            raise not_found("document")
    export_keys = [r["blob_key"] for r in exports]
    await _delete_blobs(res.blobs, [*gone_runs["blob_keys"], *export_keys, document_key])


async def delete_schema(res: Resources, *, schema_id: UUID, account_id: UUID) -> int:
    """Every version of the schema's name (and its project-scope exports); the number of
    versions deleted."""
    async with res.pool.acquire() as conn, conn.transaction():
        named = await conn.fetchrow(Q.schema_name_of, schema_id, account_id)
        if named is None:
            raise not_found("schema")
        project_id, name = named["project_id"], named["name"]
        if await conn.fetchval(Q.schema_in_use, project_id, name, account_id):
            raise ApiError(
                409, "schema_in_use", f"runs used schema {name!r}; delete those runs first"
            )
        exports = await conn.fetch(Q.schema_export_blob_keys, project_id, name, account_id)
        deleted = len(await conn.fetch(Q.delete_schema_versions, project_id, name, account_id))
    await _delete_blobs(res.blobs, [r["blob_key"] for r in exports])
    return deleted


async def delete_project(res: Resources, *, project_id: UUID, account_id: UUID) -> None:
    active = await res.pool.fetch(Q.project_active_runs, project_id, account_id)
    await _cancel(res, [r["id"] for r in active], account_id)
    async with res.pool.acquire() as conn, conn.transaction():
        if await conn.fetchval(Q.lock_project_for_delete, project_id, account_id) is None:
            raise not_found("project")
        keys = [
            r["blob_key"] for r in await conn.fetch(Q.project_blob_keys, project_id, account_id)
        ]
        await conn.execute(Q.delete_project, project_id, account_id)
    await _delete_blobs(res.blobs, keys)

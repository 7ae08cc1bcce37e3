"""Exports: files built by the export service from a run, a document of a run, or a project."""

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from strata.contracts.exports import MEDIA_TYPES, ExportFormat, ExportStatus, download_path
from strata.gateway.api_models import Export, ExportCreate, ExportPage, ProjectExportCreate
from strata.gateway.domain import exports
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.blob_download import blob_response
from strata.gateway.web.cursors import (
    decode_time_cursor,
    encode_time_cursor,
    split_page,
)
from strata.gateway.web.deps import Limit, Res
from strata.gateway.web.disposition import content_disposition
from strata.gateway.web.errors import ApiError, not_found

router = APIRouter(tags=["exports"])
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


def to_export(row: asyncpg.Record) -> Export:
    ready = row["status"] == ExportStatus.READY
    return Export.model_validate(
        dict(row) | {"download_path": download_path(row["id"]) if ready else None}
    )


@router.post("/runs/{run_id}/exports", status_code=202)
async def request_run_export(run_id: UUID, body: ExportCreate, caller: Caller, res: Res) -> Export:
    row = await exports.request_run_export(
        res.outbox,
        account_id=caller.id,
        run_id=run_id,
        fmt=body.format,
        content=body.content,
        document_id=body.document_id,
    )
    return to_export(row)


@router.post("/projects/{project_id}/exports", status_code=202)
async def request_project_export(
    project_id: UUID, body: ProjectExportCreate, caller: Caller, res: Res
) -> Export:
    row = await exports.request_project_export(
        res.outbox,
        account_id=caller.id,
        project_id=project_id,
        schema_id=body.schema_id,
        fmt=body.format,
        content=body.content,
    )
    return to_export(row)


async def _page(
    res: Res, query: str, *, owner: UUID, caller: Caller, limit: int, cursor: str | None
) -> ExportPage:
    # A bad cursor answers 400 invalid_cursor (web/errors.py).
    after_at, after_id = decode_time_cursor(cursor)
    rows = await res.pool.fetch(query, owner, caller.id, after_at, after_id, limit + 1)
    page, has_more = split_page(rows, limit)
    last = page[-1] if has_more else None
    return ExportPage(
        items=[to_export(r) for r in page],
        next_cursor=encode_time_cursor(last["created_at"], last["id"]) if last else None,
    )


@router.get("/runs/{run_id}/exports")
async def list_run_exports(
    run_id: UUID, caller: Caller, res: Res, limit: Limit, cursor: Cursor = None
) -> ExportPage:
    if not await res.pool.fetchval(Q.run_exists, run_id, caller.id):
        raise not_found("run")
    return await _page(
        res, Q.page_run_exports, owner=run_id, caller=caller, limit=limit, cursor=cursor
    )


@router.get("/projects/{project_id}/exports")
async def list_project_exports(
    project_id: UUID, caller: Caller, res: Res, limit: Limit, cursor: Cursor = None
) -> ExportPage:
    if await res.pool.fetchrow(Q.get_project, project_id, caller.id) is None:
        raise not_found("project")
    return await _page(
        res, Q.page_project_exports, owner=project_id, caller=caller, limit=limit, cursor=cursor
    )


@router.get("/exports/{export_id}")
async def get_export(export_id: UUID, caller: Caller, res: Res) -> Export:
    row = await res.pool.fetchrow(Q.get_export, export_id, caller.id)
    if row is None:
        raise not_found("export")
    return to_export(row)


_DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in MEDIA_TYPES.values()}},
    206: {"description": "the byte range asked for (a single `Range: bytes=…`)"},
    307: {"description": "to a presigned storage URL, when the deployment presigns downloads"},
    409: {"description": "export_not_ready"},
    410: {"description": "export_missing"},
    416: {"description": "range_not_satisfiable"},
}


@router.get(
    "/exports/{export_id}/download", response_class=StreamingResponse, responses=_DOWNLOAD
)
async def download_export(export_id: UUID, caller: Caller, res: Res, request: Request) -> Response:
    row = await res.pool.fetchrow(Q.get_export, export_id, caller.id)
    if row is None:
        raise not_found("export")
    if row["status"] != ExportStatus.READY or not row["blob_key"]:
        raise ApiError(409, "export_not_ready", f"the export is {row['status']}, not ready")
    # Streamed from blob storage (or redirected to it); the whole export is never in memory.
    return await blob_response(
        res.blobs,
        row["blob_key"],
        media_type=MEDIA_TYPES[ExportFormat(row["format"])],
        disposition=content_disposition(exports.download_name(row), fallback="export"),
        range_header=request.headers.get("range"),
    )


@router.delete("/exports/{export_id}", status_code=204)
async def delete_export(export_id: UUID, caller: Caller, res: Res) -> Response:
    await exports.delete_export(res.pool, res.blobs, account_id=caller.id, export_id=export_id)
    return Response(status_code=204)

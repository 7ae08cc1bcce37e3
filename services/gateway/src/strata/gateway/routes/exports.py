"""Exports: files built from a run's overlays by the export service."""

from uuid import UUID, uuid4

from fastapi import APIRouter
from fastapi.responses import FileResponse

from strata.contracts.exports import ExportStatus
from strata.contracts.messages import ExportRequested
from strata.gateway.api_models import Export, ExportCreate
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import ApiError, not_found

router = APIRouter(tags=["exports"])


@router.post("/runs/{run_id}/exports", status_code=202)
async def request_export(run_id: UUID, body: ExportCreate, caller: Caller, res: Res) -> Export:
    async with res.outbox.transaction() as uow:
        if not await uow.conn.fetchval(Q.run_exists, run_id, caller.id):
            raise not_found("run")
        row = await uow.conn.fetchrow(Q.insert_export, uuid4(), caller.id, run_id, body.format)
        uow.emit(ExportRequested(export_id=row["id"]))
    return Export.model_validate(dict(row))


@router.get("/exports/{export_id}")
async def get_export(export_id: UUID, caller: Caller, res: Res) -> Export:
    row = await res.pool.fetchrow(Q.get_export, export_id, caller.id)
    if row is None:
        raise not_found("export")
    return Export.model_validate(dict(row))


@router.get(
    "/exports/{export_id}/download",
    response_class=FileResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def download_export(export_id: UUID, caller: Caller, res: Res) -> FileResponse:
    row = await res.pool.fetchrow(Q.get_export, export_id, caller.id)
    if row is None:
        raise not_found("export")
    if row["status"] != ExportStatus.READY or not row["blob_key"]:
        raise ApiError(409, "export_not_ready", f"the export is {row['status']}, not ready")
    path = res.blobs.path(row["blob_key"])
    if not path.is_file():
        raise ApiError(410, "export_missing", "the export file is gone; request a new export")
    return FileResponse(
        path, media_type="application/x-ndjson", filename=f"run-{row['run_id']}.jsonl"
    )

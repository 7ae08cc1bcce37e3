"""Exports from the run and project pages: ask for one, watch it become ready, download it,
delete it. The export service builds the file; these handlers only call the API's routes."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from strata.gateway.api_models import ExportCreate, ProjectExportCreate
from strata.gateway.pages.common import attempt, parse
from strata.gateway.pages.render import html, see_other
from strata.gateway.pages.session import Changing, Session, flash, safe_next
from strata.gateway.routes import exports
from strata.gateway.web.deps import Res

router = APIRouter()
Field = Annotated[str, Form(max_length=100)]


@router.post("/runs/{run_id}/exports")
async def run_export(
    run_id: UUID,
    *,
    session: Changing,
    res: Res,
    format: Field = "csv",
    content: Field = "confirmed",
    document_id: Field = "",
) -> Response:
    back = f"/app/runs/{run_id}"

    async def ask() -> None:
        body = parse(ExportCreate, format=format, content=content, document_id=document_id or None)
        await exports.request_run_export(run_id, body, session.account, res)

    refused = await attempt(res, session, ask(), back=back)
    if isinstance(refused, Response):
        return refused
    await flash(res, session, f"Export requested ({format}, {content}); it appears below.")
    return see_other(f"{back}#exports")


@router.post("/projects/{project_id}/exports")
async def project_export(
    project_id: UUID,
    *,
    session: Changing,
    res: Res,
    schema_id: Field = "",
    format: Field = "csv",
    content: Field = "confirmed",
) -> Response:
    back = f"/app/projects/{project_id}"

    async def ask() -> None:
        body = parse(ProjectExportCreate, schema_id=schema_id, format=format, content=content)
        await exports.request_project_export(project_id, body, session.account, res)

    refused = await attempt(res, session, ask(), back=back)
    if isinstance(refused, Response):
        return refused
    await flash(res, session, f"Project export requested ({format}, {content}).")
    return see_other(f"{back}#exports")


@router.get("/runs/{run_id}/exports")
async def run_exports_fragment(run_id: UUID, session: Session, res: Res) -> Response:
    """The run's export list alone: refreshed while one is still being built."""
    listed = await exports.list_run_exports(run_id, session.account, res, limit=20, cursor=None)
    return html(
        "_exports.html",
        exports=listed.items,
        csrf=session.csrf,
        refresh=f"/app/runs/{run_id}/exports",
    )


@router.get("/projects/{project_id}/exports")
async def project_exports_fragment(project_id: UUID, session: Session, res: Res) -> Response:
    listed = await exports.list_project_exports(
        project_id, session.account, res, limit=20, cursor=None
    )
    return html(
        "_exports.html",
        exports=listed.items,
        csrf=session.csrf,
        refresh=f"/app/projects/{project_id}/exports",
    )


@router.get("/exports/{export_id}/download")
async def download(export_id: UUID, session: Session, res: Res, request: Request) -> Response:
    return await exports.download_export(export_id, session.account, res, request)


@router.post("/exports/{export_id}/delete")
async def delete(
    export_id: UUID, session: Changing, res: Res, back: Annotated[str, Form(max_length=300)] = ""
) -> Response:
    await exports.delete_export(export_id, session.account, res)
    await flash(res, session, "Export deleted.")
    return see_other(safe_next(back))

"""Projects: the list, a new one, and a project's page (documents, schemas, runs, exports).

Reads and writes go through the API's own route functions, so a page shows exactly what the
API answers and refuses exactly what it refuses."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from strata.contracts.documents import DocumentStatus
from strata.contracts.exports import ExportContent, ExportFormat
from strata.gateway.api_models import Document, ProjectCreate, Run
from strata.gateway.pages.common import attempt, parse
from strata.gateway.pages.render import html, page, see_other
from strata.gateway.pages.runs import FINISHED
from strata.gateway.pages.session import Changing, Session
from strata.gateway.routes import documents, exports, projects, runs, schemas
from strata.gateway.web.deps import Res

router = APIRouter()
ACTIVE = {DocumentStatus.RECEIVED, DocumentStatus.CONVERTING}


@router.get("/")
async def project_list(request: Request, session: Session, res: Res) -> Response:
    listed = await projects.list_projects(session.account, res, res.settings.page_size_max)
    return await page(request, res, session, "projects.html", projects=listed.items)


@router.post("/projects")
async def project_create(
    session: Changing, res: Res, name: Annotated[str, Form(max_length=1000)] = ""
) -> Response:
    async def create() -> UUID:
        body = parse(ProjectCreate, name=name.strip())
        return (await projects.create_project(body, session.account, res)).id

    created = await attempt(res, session, create(), back="/app/")
    return created if isinstance(created, Response) else see_other(f"/app/projects/{created}")


async def _documents(project_id: UUID, session: Session, res: Res) -> dict[str, Any]:
    listed = (
        await documents.list_documents(project_id, session.account, res, res.settings.page_size_max)
    ).items
    return documents_context(project_id, listed)


def documents_context(project_id: UUID, listed: list[Document]) -> dict[str, Any]:
    return {
        "documents": listed,
        "converting": any(d.status in ACTIVE for d in listed),
        "project_id": project_id,
    }


def runs_context(listed: list[Run]) -> dict[str, Any]:
    return {"runs": listed, "running": any(r.status not in FINISHED for r in listed)}


@router.get("/projects/{project_id}")
async def project_page(project_id: UUID, request: Request, session: Session, res: Res) -> Response:
    caller = session.account
    project = await projects.get_project(project_id, caller, res)
    exported = await exports.list_project_exports(project_id, caller, res, limit=20, cursor=None)
    return await page(
        request,
        res,
        session,
        "project.html",
        project=project,
        schemas=(
            await schemas.list_schemas(project_id, caller, res, res.settings.page_size_max)
        ).items,
        **runs_context(
            (await runs.list_runs(project_id, caller, res, res.settings.page_size_max)).items
        ),
        exports=exported.items,
        formats=list(ExportFormat),
        contents=list(ExportContent),
        **await _documents(project_id, session, res),
    )


@router.get("/projects/{project_id}/documents")
async def documents_fragment(project_id: UUID, session: Session, res: Res) -> Response:
    """The documents table alone (the upload script shows it after an upload)."""
    await projects.get_project(project_id, session.account, res)
    return html("_documents.html", **await _documents(project_id, session, res))

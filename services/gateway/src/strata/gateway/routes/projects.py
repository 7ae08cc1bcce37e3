"""Projects: a tenant's folder of documents, schemas, runs and exports."""

from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Response

from strata.gateway.api_models import Page, Project, ProjectCreate
from strata.gateway.domain import deletion
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.cursors import decode_keyset, next_keyset, split_page
from strata.gateway.web.deps import Cursor, Limit, Res
from strata.gateway.web.errors import not_found

router = APIRouter(tags=["projects"])


async def require_project(
    conn: asyncpg.Pool | asyncpg.Connection, project_id: UUID, account_id: UUID
) -> asyncpg.Record:
    row = await conn.fetchrow(Q.get_project, project_id, account_id)
    if row is None:
        raise not_found("project")
    return row


@router.post("/projects", status_code=201)
async def create_project(body: ProjectCreate, caller: Caller, res: Res) -> Project:
    row = await res.pool.fetchrow(Q.insert_project, uuid4(), caller.id, body.name)
    return Project.model_validate(dict(row))


@router.get("/projects")
async def list_projects(
    caller: Caller, res: Res, limit: Limit, cursor: Cursor = None
) -> Page[Project]:
    """Newest first."""
    rows = await res.pool.fetch(Q.list_projects, caller.id, *decode_keyset(cursor), limit + 1)
    page, more = split_page(rows, limit)
    return Page[Project](
        items=[Project.model_validate(dict(r)) for r in page], next_cursor=next_keyset(page, more)
    )


@router.delete("/projects/{project_id}", status_code=204)
async def delete_project(project_id: UUID, caller: Caller, res: Res) -> Response:
    """The project and everything in it: its active runs are cancelled first; documents,
    blocks, schemas, runs, overlays and exports go, and so do the files of uploads and exports."""
    await deletion.delete_project(res, project_id=project_id, account_id=caller.id)
    return Response(status_code=204)


@router.get("/projects/{project_id}")
async def get_project(project_id: UUID, caller: Caller, res: Res) -> Project:
    return Project.model_validate(dict(await require_project(res.pool, project_id, caller.id)))

"""Compare and evaluate, over the API's own route functions (`compare_runs`,
`create_evaluation`, `get_evaluation`): pick two runs of a project and see, per field, how often
they agree and the blocks where they differ; or run a schema version on the blocks a person
confirmed in a reviewed run and see its accuracy beside that run's own answers, live while the
evaluation runs (reload without script)."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from strata.contracts.blocks import parse_block_uid
from strata.contracts.runs import RunStatus
from strata.gateway.api_models import Run, Schema
from strata.gateway.api_models_schemas import CompareOut, EvaluationCreate, EvaluationReport
from strata.gateway.pages.common import attempt, parse
from strata.gateway.pages.render import page, see_other
from strata.gateway.pages.session import Changing, PageSession, Session
from strata.gateway.routes import documents, evaluations, projects, runs, schemas
from strata.gateway.web.deps import Res

router = APIRouter()
SHOWN_DIFFERENCES = 200  # a page, not a dump: the API answers every differing block


async def _versions(project_id: UUID, session: PageSession, res: Res) -> list[Schema]:
    """Every version of every schema of the project, by name then version."""
    caller, limit = session.account, res.settings.page_size_max
    latest = (await schemas.list_schemas(project_id, caller, res, limit)).items
    return [
        version
        for schema in latest
        for version in (await schemas.list_versions(schema.id, caller, res, limit, None)).items
    ]


def where(block_uid: str, filenames: dict[UUID, str]) -> str:
    """A block as people name it: its file and position."""
    document_id, index = parse_block_uid(block_uid)
    return f"{filenames.get(document_id, str(document_id))}, block {index}"


def differing_rows(compared: CompareOut, filenames: dict[UUID, str]) -> list[dict[str, Any]]:
    """One row per (block, field) that differs, for the first blocks."""
    return [
        {"where": where(block["block_uid"], filenames), "field": name, **values}
        for block in compared.differing[:SHOWN_DIFFERENCES]
        for name, values in sorted(block["fields"].items())
    ]


@router.get("/projects/{project_id}/compare")
async def compare_page(
    project_id: UUID,
    *,
    request: Request,
    session: Session,
    res: Res,
    left: Annotated[UUID | None, Query()] = None,
    right: Annotated[UUID | None, Query()] = None,
) -> Response:
    caller = session.account
    project = await projects.get_project(project_id, caller, res)
    listed: list[Run] = (
        await runs.list_runs(project_id, caller, res, res.settings.page_size_max)
    ).items
    versions = await _versions(project_id, session, res)
    compared = None
    rows: list[dict[str, Any]] = []
    if left is not None and right is not None:
        compared = await evaluations.compare_runs(left, right, caller, res)
        docs = await documents.list_documents(project_id, caller, res, res.settings.page_size_max)
        rows = differing_rows(compared, {d.id: d.filename for d in docs.items})
    names = {v.id: f"{v.name} v{v.version}" for v in versions}
    return await page(
        request,
        res,
        session,
        "compare.html",
        project=project,
        runs=listed,
        reviewed=[r for r in listed if r.kind == "standard" and r.status == RunStatus.COMPLETE],
        evaluations=[r for r in listed if r.kind == "evaluation"],
        versions=versions,
        schema_names=names,
        left=left,
        right=right,
        compared=compared,
        rows=rows,
        shown_max=SHOWN_DIFFERENCES,
    )


@router.post("/projects/{project_id}/evaluations")
async def evaluation_start(
    project_id: UUID,
    session: Changing,
    res: Res,
    schema_id: Annotated[str, Form(max_length=100)] = "",
    reviewed_run_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    async def start() -> UUID:
        body = parse(EvaluationCreate, schema_id=schema_id, reviewed_run_id=reviewed_run_id)
        return (await evaluations.create_evaluation(body, session.account, res)).run_id

    back = f"/app/projects/{project_id}/compare"
    started = await attempt(res, session, start(), back=back)
    return started if isinstance(started, Response) else see_other(f"/app/evaluations/{started}")


async def evaluation_context(run_id: UUID, session: PageSession, res: Res) -> dict[str, Any]:
    caller = session.account
    report: EvaluationReport = await evaluations.get_evaluation(run_id, caller, res)
    return {
        "report": report,
        "fields": sorted(set(report.new.fields) | set(report.old.fields)),
        "run": await runs.get_run(run_id, caller, res),
    }


@router.get("/evaluations/{run_id}")
async def evaluation_page(run_id: UUID, request: Request, session: Session, res: Res) -> Response:
    context = await evaluation_context(run_id, session, res)
    report: EvaluationReport = context["report"]
    caller = session.account
    return await page(
        request,
        res,
        session,
        "evaluation.html",
        schema=await schemas.get_schema(report.schema_id, caller, res),
        baseline=await runs.get_run(report.baseline_run_id, caller, res),
        **context,
    )

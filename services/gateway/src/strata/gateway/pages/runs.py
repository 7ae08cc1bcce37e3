"""Starting a run (with its estimate first if asked), the run's page, its live status, and
cancel / resume / retry-failed."""

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from strata.contracts.exports import ExportContent, ExportFormat
from strata.contracts.overlays import OverlayStatus
from strata.contracts.runs import RunStatus
from strata.contracts.stages import Stage, StageStatus
from strata.gateway.api_models import Overlay, RunCreate, RunEstimateOut
from strata.gateway.domain.run_creation import create_run, estimate
from strata.gateway.pages.common import attempt, parse
from strata.gateway.pages.render import html, page, see_other
from strata.gateway.pages.session import Changing, PageSession, Session, flash
from strata.gateway.routes import documents, exports, run_control, runs, schemas
from strata.gateway.web.deps import Res

router = APIRouter()
FINISHED = {RunStatus.COMPLETE, RunStatus.CANCELLED}
ACTIONS = {
    "cancel": run_control.post_cancel,
    "resume": run_control.post_resume,
    "retry-failed": run_control.post_retry_failed,
}


def _budget(text: str) -> dict[str, Any]:
    return {"budget_usd": text.strip()} if text.strip() else {}


@router.post("/projects/{project_id}/runs")
async def run_start(
    project_id: UUID,
    *,
    request: Request,
    session: Changing,
    res: Res,
    schema_id: Annotated[str, Form(max_length=100)] = "",
    document_ids: Annotated[list[str] | None, Form()] = None,
    budget_usd: Annotated[str, Form(max_length=40)] = "",
    action: Annotated[Literal["start", "estimate"], Form()] = "start",
) -> Response:
    back = f"/app/projects/{project_id}"

    async def go() -> Response:
        body = parse(
            RunCreate,
            schema_id=schema_id,
            document_ids=document_ids or None,
            project_id=None if document_ids else project_id,
            policy_overrides=_budget(budget_usd),
            dry_run=action == "estimate",
        )
        if body.dry_run:
            planned, policy = await estimate(res, account_id=session.account.id, body=body)
            out = RunEstimateOut(**vars(planned), policy=policy.model_dump(mode="json"))
            return await _estimate_page(
                request, res, session, body=body, planned=out, project_id=project_id
            )
        run_id = await create_run(res, account_id=session.account.id, body=body)
        return see_other(f"/app/runs/{run_id}")

    done = await attempt(res, session, go(), back=back)
    assert isinstance(done, Response)
    return done


async def _estimate_page(
    request: Request,
    res: Res,
    session: PageSession,
    *,
    body: RunCreate,
    planned: RunEstimateOut,
    project_id: UUID,
) -> Response:
    schema = await schemas.get_schema(body.schema_id, session.account, res)
    return await page(
        request,
        res,
        session,
        "estimate.html",
        estimate=planned,
        body=body,
        schema=schema,
        project_id=project_id,
        budget=body.policy_overrides.get("budget_usd", ""),
    )


async def run_context(run_id: UUID, session: Session, res: Res) -> dict[str, Any]:
    caller = session.account
    run = await runs.get_run(run_id, caller, res)
    failed = await runs.list_overlays(
        run_id, caller=caller, res=res, limit=200, cursor=None, status=OverlayStatus.FAILED
    )
    errors: dict[str, list[Overlay]] = defaultdict(list)
    for overlay in failed.items:
        errors[overlay.last_error_code or "unknown"].append(overlay)
    done = run.completed_blocks + run.failed_blocks
    stages = run.stages or []
    return {
        "run": run,
        "errors": dict(errors),
        "percent": round(100 * done / run.total_blocks) if run.total_blocks else 0,
        "finished": run.status in FINISHED,
        "stages": stages,
        "etas": {s.name: eta(s, now=datetime.now(UTC)) for s in stages},
    }


def eta(stage: Stage, *, now: datetime) -> str | None:
    """What is left of a stage at the pace it went so far ("about 2 min"), or None when there is
    nothing to go by (not started, nothing done yet, or already over)."""
    if stage.status != StageStatus.IN_PROGRESS or stage.started_at is None:
        return None
    settled = stage.done + stage.failed
    if settled <= 0 or settled >= stage.total:
        return None
    elapsed = (now - stage.started_at).total_seconds()
    left = max(elapsed, 0) / settled * (stage.total - settled)
    if left < 60:
        return f"about {max(round(left), 1)} s"
    if left < 3600:
        return f"about {round(left / 60)} min"
    return f"about {left / 3600:.1f} h"


@router.get("/runs/{run_id}")
async def run_page(run_id: UUID, request: Request, session: Session, res: Res) -> Response:
    context = await run_context(run_id, session, res)
    caller = session.account
    run = context["run"]
    listed = await exports.list_run_exports(run_id, caller, res, limit=20, cursor=None)
    docs = (
        await documents.list_documents(run.project_id, caller, res, res.settings.page_size_max)
    ).items
    return await page(
        request,
        res,
        session,
        "run.html",
        schema=await schemas.get_schema(run.schema_id, caller, res),
        exports=listed.items,
        documents=[d for d in docs if d.id in set(run.document_ids)],
        formats=list(ExportFormat),
        contents=list(ExportContent),
        **context,
    )


@router.get("/runs/{run_id}/status")
async def run_status(run_id: UUID, session: Session, res: Res) -> Response:
    """The status panel alone (the same fragment the live stream sends)."""
    return html("_run_status.html", csrf=session.csrf, **await run_context(run_id, session, res))


@router.post("/runs/{run_id}/{action}")
async def run_action(
    run_id: UUID, action: Literal["cancel", "resume", "retry-failed"], session: Changing, res: Res
) -> Response:
    back = f"/app/runs/{run_id}"
    done = await attempt(res, session, ACTIONS[action](run_id, session.account, res), back=back)
    if isinstance(done, Response):
        return done
    await flash(res, session, f"{action.replace('-', ' ').capitalize()}: done.")
    return see_other(back)

"""The live parts of the pages over SSE: the run's status panel (its todo list) and a project's
documents, re-rendered on the server each time the event log says something changed, and sent
as an HTML fragment that htmx's SSE extension swaps in place (`sse-swap`).

Authenticated by the page session (an EventSource sends the cookie, never a bearer token) and
re-checked before every fragment, so signing out or revoking the token ends the stream. Tenancy
is the API's: the run or project is read through the API's route functions first (another
account's id is the same 404). Events arriving together are rendered once (a fragment is a full
snapshot, so skipping intermediate ones loses nothing). Without script the page is the same
snapshot and a reload shows the latest."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse

from strata.gateway.pages.compare import evaluation_context
from strata.gateway.pages.projects import documents_context, runs_context
from strata.gateway.pages.render import fragment
from strata.gateway.pages.runs import run_context
from strata.gateway.pages.session import Session, load_session
from strata.gateway.routes import documents, events, runs
from strata.gateway.routes.projects import require_project
from strata.gateway.web.deps import Res, Resources

router = APIRouter()
MIN_GAP_S = 0.25  # at most four fragments a second per stream
# A fragment and whether it is the last one (the part stopped changing).
Render = Callable[[], Awaitable[tuple[str, bool] | None]]


async def snapshots(
    rows: AsyncIterator[Any], render: Render, *, event: str, min_gap_s: float = MIN_GAP_S
) -> AsyncIterator[dict[str, str]]:
    """One fragment now, then one after each burst of rows; `done` after the last fragment (the
    page's `sse-close` stops the browser from reconnecting). Ends when `render` says the part is
    final, when it answers None (the session ended) or when the rows end (a run completed)."""
    changed = asyncio.Event()
    changed.set()  # the first fragment: the state right now
    ended = False

    async def pump() -> None:
        nonlocal ended
        try:
            async for _ in rows:
                changed.set()
        finally:
            ended = True
            changed.set()

    task = asyncio.create_task(pump())
    try:
        while True:
            await changed.wait()
            changed.clear()
            made = await render()
            if made is None:
                return
            text, final = made
            yield {"event": event, "data": text}
            if final or (ended and not changed.is_set()):
                yield {"event": "done", "data": "done"}
                return
            await asyncio.sleep(min_gap_s)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        with contextlib.suppress(AttributeError):
            await rows.aclose()  # type: ignore[attr-defined]


def _respond(request: Request, res: Resources, stream: AsyncIterator[dict[str, str]]) -> Any:
    return EventSourceResponse(
        stream,
        ping=res.settings.sse_heartbeat_s,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/runs/{run_id}/live", response_model=None)
async def run_live(run_id: UUID, request: Request, session: Session, res: Res) -> Any:
    """The run's status panel each time its events say it changed, until it is finished."""
    run = await runs.get_run(run_id, session.account, res)  # 404 for another account's run
    rows = await events.rows_from_now(
        request, res, account_id=session.account.id, project_id=run.project_id, run_id=run_id
    )

    async def render() -> tuple[str, bool] | None:
        if (current := await _still_signed_in(request, res, session)) is None:
            return None
        context = await run_context(run_id, current, res)
        return fragment("_run_status.html", csrf=current.csrf, **context), context["finished"]

    return _respond(request, res, snapshots(rows, render, event="status"))


@router.get("/evaluations/{run_id}/live", response_model=None)
async def evaluation_live(run_id: UUID, request: Request, session: Session, res: Res) -> Any:
    """The evaluation's scores each time its run settles blocks, until it is complete."""
    first = await evaluation_context(run_id, session, res)  # 404 unless ours and an evaluation
    rows = await events.rows_from_now(
        request,
        res,
        account_id=session.account.id,
        project_id=first["run"].project_id,
        run_id=run_id,
    )

    async def render() -> tuple[str, bool] | None:
        if (current := await _still_signed_in(request, res, session)) is None:
            return None
        context = await evaluation_context(run_id, current, res)
        return fragment("_evaluation.html", **context), context["report"].complete

    return _respond(request, res, snapshots(rows, render, event="report"))


@router.get("/projects/{project_id}/live", response_model=None)
async def project_live(project_id: UUID, request: Request, session: Session, res: Res) -> Any:
    """The project's documents each time one of them is converted or fails."""
    await require_project(res.pool, project_id, session.account.id)
    rows = await events.rows_from_now(
        request, res, account_id=session.account.id, project_id=project_id, run_id=None
    )

    async def render() -> tuple[str, bool] | None:
        if (current := await _still_signed_in(request, res, session)) is None:
            return None
        listed = await documents.list_documents(
            project_id, current.account, res, res.settings.page_size_max
        )
        return (
            fragment("_documents.html", **documents_context(project_id, listed.items)),
            False,  # a project can always get more documents
        )

    return _respond(request, res, snapshots(_of_kind(rows, "document."), render, event="documents"))


async def _still_signed_in(request: Request, res: Resources, session: Session) -> Session | None:
    """The page's session as it is now, if it is still the same account's (signing out or
    revoking the token ends the stream)."""
    current = await load_session(request, res)
    if current is None or current.account.id != session.account.id:
        return None
    return current


async def _of_kind(rows: AsyncIterator[Any], prefix: str) -> AsyncIterator[Any]:
    async for row in rows:
        if row["type"].startswith(prefix):
            yield row


@router.get("/projects/{project_id}/runs/live", response_model=None)
async def project_runs_live(project_id: UUID, request: Request, session: Session, res: Res) -> Any:
    """The project's runs each time one of them moves (progress, completion, cancellation)."""
    await require_project(res.pool, project_id, session.account.id)
    rows = await events.rows_from_now(
        request, res, account_id=session.account.id, project_id=project_id, run_id=None
    )

    async def render() -> tuple[str, bool] | None:
        if (current := await _still_signed_in(request, res, session)) is None:
            return None
        listed = await runs.list_runs(project_id, current.account, res, res.settings.page_size_max)
        return fragment("_runs.html", **runs_context(listed.items)), False  # more runs may come

    return _respond(request, res, snapshots(_of_kind(rows, "run."), render, event="runs"))

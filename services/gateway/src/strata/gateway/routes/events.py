"""Live events: SSE streams of a run or a project, and a page of events for polling.

A stream starts after `Last-Event-ID` (or `?after=`; else with what is new), replays from the
event log and then follows it; a run's stream ends after `run.completed`. Heartbeat comments
keep proxies from closing an idle stream."""

from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse

from strata.contracts.routing import NOTIFICATIONS
from strata.gateway.api_models import Event, EventPage
from strata.gateway.domain.event_stream import EventHub, follow
from strata.gateway.routes.projects import require_project
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.deps import Limit, Res
from strata.gateway.web.errors import ApiError, not_found

router = APIRouter(tags=["events"])
EVENT_TYPES = tuple(route.routing_key for route in NOTIFICATIONS)
_SSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "an SSE stream of Event"}
}


def to_event(row: Any) -> Event:
    return Event(
        id=row["event_id"],
        type=row["type"],
        project_id=row["project_id"],
        run_id=row["run_id"],
        created_at=row["event_at"],
        caused_at=row["caused_at"],
        data=row["payload"],
    )


def _start(last_event_id: str | None, after: int | None) -> int | None:
    if last_event_id is None or not last_event_id.strip():
        return after
    try:
        value = int(last_event_id)
    except ValueError:
        raise ApiError(422, "invalid_last_event_id", "Last-Event-ID must be an event id") from None
    if value < 0:
        raise ApiError(422, "invalid_last_event_id", "Last-Event-ID must be an event id")
    return value


def _hub(request: Request) -> EventHub:
    hub: EventHub = request.app.state.event_hub
    return hub


async def _stream(hub: EventHub, rows: AsyncIterator[Any]) -> AsyncIterator[dict[str, str]]:
    # sse-starlette ends the response (cancelling this) when the client goes away.
    async for row in rows:
        yield {"id": str(row["event_id"]), "event": row["type"], "data": hub.encode(row)}


async def _response(
    request: Request,
    res: Res,
    *,
    account_id: UUID,
    project_id: UUID | None,
    run_id: UUID | None,
    start: int | None,
) -> EventSourceResponse:
    if start is None:  # nothing to resume from: what happens from now on
        start = await res.pool.fetchval(Q.last_event_id)
    hub = _hub(request)
    rows = follow(
        hub,
        res.pool,
        account_id=account_id,
        project_id=project_id,
        run_id=run_id,
        after=start,
    )
    return EventSourceResponse(
        _stream(hub, rows),
        ping=res.settings.sse_heartbeat_s,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def rows_from_now(
    request: Request, res: Res, *, account_id: UUID, project_id: UUID, run_id: UUID | None
) -> AsyncIterator[Any]:
    """The rows of what happens from now on (this call) to one of the caller's projects or runs
    (tenancy checked by the caller): the web app's live parts re-render on each of them, so a
    snapshot read after this call misses nothing."""
    start = await res.pool.fetchval(Q.last_event_id)
    return follow(
        _hub(request),
        res.pool,
        account_id=account_id,
        project_id=project_id,
        run_id=run_id,
        after=start,
    )


# The patterns and the enum below only document what `_start` and `list_events` check (their
# errors keep their stable codes), so that clients and fuzzers know "null" is not an event id.
LastEventId = Annotated[
    str | None,
    Header(alias="Last-Event-ID", json_schema_extra={"pattern": r"^\s*[0-9]*\s*$"}),
]
After = Annotated[int | None, Query(ge=0, description="start after this event id")]


@router.get("/runs/{run_id}/events", responses=_SSE, response_model=None)
async def run_events(
    run_id: UUID,
    *,
    request: Request,
    caller: Caller,
    res: Res,
    last_event_id: LastEventId = None,
    after: After = None,
) -> EventSourceResponse:
    start = _start(last_event_id, after)
    project_id = await res.pool.fetchval(Q.run_tenant, run_id, caller.id)
    if project_id is None:
        raise not_found("run")
    if start is None:
        start = 0  # a run's stream tells its whole story to a first-time watcher
    return await _response(
        request, res, account_id=caller.id, project_id=project_id, run_id=run_id, start=start
    )


@router.get("/projects/{project_id}/events", responses=_SSE, response_model=None)
async def project_events(
    project_id: UUID,
    *,
    request: Request,
    caller: Caller,
    res: Res,
    last_event_id: LastEventId = None,
    after: After = None,
) -> EventSourceResponse:
    start = _start(last_event_id, after)
    await require_project(res.pool, project_id, caller.id)
    return await _response(
        request, res, account_id=caller.id, project_id=project_id, run_id=None, start=start
    )


@router.get("/events")
async def list_events(
    *,
    caller: Caller,
    res: Res,
    limit: Limit,
    after: Annotated[int, Query(ge=0, description="events with a greater id")] = 0,
    project_id: UUID | None = None,
    run_id: UUID | None = None,
    event_type: Annotated[
        str | None,
        Query(alias="type", description="one event type", json_schema_extra={"enum": EVENT_TYPES}),
    ] = None,
) -> EventPage:
    if event_type is not None and event_type not in EVENT_TYPES:
        raise ApiError(422, "invalid_request", f"type: one of {', '.join(EVENT_TYPES)}")
    rows = await res.pool.fetch(
        Q.page_events, caller.id, after, project_id, run_id, event_type, limit
    )
    items = [to_event(r) for r in rows]
    return EventPage(items=items, next_after=items[-1].id if items else after)

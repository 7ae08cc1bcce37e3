"""Runs: one schema version applied to documents, and their per-block overlays."""

from decimal import Decimal
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from strata.contracts.blocks import make_block_uid
from strata.contracts.overlays import OverlayStatus
from strata.gateway.api_models import (
    Overlay,
    OverlayPage,
    Page,
    Run,
    RunCreate,
    RunEstimateOut,
    RunUsage,
)
from strata.gateway.domain.review import review_counts
from strata.gateway.domain.run_creation import create_run, estimate
from strata.gateway.routes.projects import require_project
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.cursors import (
    InvalidCursorError,
    decode_overlay_cursor,
    encode_overlay_cursor,
    split_page,
)
from strata.gateway.web.deps import Limit, Res
from strata.gateway.web.errors import ApiError, not_found

router = APIRouter(tags=["runs"])


def to_overlay(row: asyncpg.Record, shares: dict[str, Decimal]) -> Overlay:
    uid = make_block_uid(row["document_id"], row["block_index"])
    return Overlay.model_validate(
        {
            **dict(row),
            "block_uid": uid,
            "revision": row["review_revision"],
            "cost_usd": shares.get(uid, Decimal(0)),
        }
    )


@router.post(
    "/runs",
    status_code=201,
    response_model=Run,
    responses={200: {"model": RunEstimateOut, "description": "the estimate, for `dry_run`"}},
)
async def post_run(body: RunCreate, caller: Caller, res: Res) -> Run | JSONResponse:
    if body.dry_run:
        planned, policy = await estimate(res, account_id=caller.id, body=body)
        out = RunEstimateOut(**vars(planned), policy=policy.model_dump(mode="json"))
        return JSONResponse(out.model_dump(mode="json"), status_code=200)
    run_id = await create_run(res, account_id=caller.id, body=body)
    return await get_run(run_id, caller, res)


@router.get("/runs/{run_id}")
async def get_run(run_id: UUID, caller: Caller, res: Res) -> Run:
    row = await res.pool.fetchrow(Q.get_run, run_id, caller.id)
    if row is None:
        raise not_found("run")
    usage = RunUsage.model_validate(dict(await res.pool.fetchrow(Q.run_usage, run_id)))
    review = await review_counts(res.pool, run_id)
    return Run.model_validate({**dict(row), "usage": usage, "review": review})


@router.get("/projects/{project_id}/runs")
async def list_runs(project_id: UUID, caller: Caller, res: Res) -> Page[Run]:
    await require_project(res.pool, project_id, caller.id)
    rows = await res.pool.fetch(Q.list_runs, project_id, caller.id)
    return Page[Run](items=[Run.model_validate(dict(r)) for r in rows])


@router.get("/runs/{run_id}/overlays")
async def list_overlays(
    run_id: UUID,
    *,
    caller: Caller,
    res: Res,
    limit: Limit,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    status: OverlayStatus | None = None,
) -> OverlayPage:
    try:
        after_document, after_index = decode_overlay_cursor(cursor)
    except InvalidCursorError as exc:
        raise ApiError(422, "invalid_cursor", str(exc)) from None
    if not await res.pool.fetchval(Q.run_exists, run_id, caller.id):
        raise not_found("run")
    rows = await res.pool.fetch(
        Q.page_overlays, run_id, caller.id, status, after_document, after_index, limit + 1
    )
    page, has_more = split_page(rows, limit)
    last = page[-1] if has_more else None
    uids = [make_block_uid(r["document_id"], r["block_index"]) for r in page]
    shares = dict(await res.pool.fetch(Q.overlay_cost_shares, run_id, uids))
    return OverlayPage(
        items=[to_overlay(r, shares) for r in page],
        next_cursor=None
        if last is None
        else encode_overlay_cursor(last["document_id"], last["block_index"]),
    )

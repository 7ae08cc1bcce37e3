"""Review: a person confirms, edits, rejects or reopens what the model staged, block by block or
in bulk; the review queue; the audit of every action. Another account's run or block is 404."""

from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Path, Query

from strata.contracts.blocks import make_block_uid
from strata.gateway.api_models import (
    BulkReviewRequest,
    BulkReviewResult,
    ErrorBody,
    ReviewEvent,
    ReviewEventPage,
    ReviewItem,
    ReviewQueuePage,
    ReviewRequest,
    StaleRevisionBody,
)
from strata.gateway.domain.review import bulk_review, review_block, review_item
from strata.gateway.domain.review_queue import QueueFilter, review_queue
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.cursors import InvalidCursorError, decode_queue_cursor
from strata.gateway.web.deps import Limit, Res
from strata.gateway.web.errors import ApiError, not_found

router = APIRouter(tags=["review"])

BlockIndex = Annotated[int, Path(ge=0, le=2**31 - 1)]
EventCursor = Annotated[
    int | None, Query(ge=1, le=2**63 - 1, description="next_cursor of the previous page")
]
_BLOCK = "/runs/{run_id}/overlays/{document_id}/{block_index}"
_ACTION_ERRORS = {
    409: {
        "model": StaleRevisionBody,
        "description": "`stale_revision` (with `current`), `invalid_transition`, "
        "`overlay_not_settled`, `nothing_to_confirm`",
    },
    422: {"model": ErrorBody, "description": "`invalid_values`, `invalid_request`"},
}


@router.get(_BLOCK)
async def get_review_item(
    run_id: UUID, document_id: UUID, block_index: BlockIndex, caller: Caller, res: Res
) -> ReviewItem:
    """One block of a run as a reviewer sees it, with the revision to act against."""
    row = await res.pool.fetchrow(Q.review_overlay, run_id, document_id, block_index, caller.id)
    if row is None:
        raise not_found("overlay")
    return review_item(row)


@router.post(f"{_BLOCK}/review", responses=_ACTION_ERRORS)  # type: ignore[arg-type]
async def post_review(
    run_id: UUID,
    document_id: UUID,
    block_index: BlockIndex,
    *,
    body: ReviewRequest,
    caller: Caller,
    res: Res,
) -> ReviewItem:
    """confirm | edit | reject | reopen, made against `revision`; answers the block after it."""
    return await review_block(
        res.pool,
        run_id=run_id,
        document_id=document_id,
        block_index=block_index,
        caller=caller,
        body=body,
    )


@router.post("/runs/{run_id}/review")
async def post_bulk_review(
    run_id: UUID, body: BulkReviewRequest, caller: Caller, res: Res
) -> BulkReviewResult:
    """One action over every matching block of a run (or of one document); safe to repeat.
    Confirm skips flagged blocks unless `include_flagged` (or a `flag` filter) says otherwise."""
    return await bulk_review(res.pool, run_id=run_id, caller=caller, body=body)


@router.get("/runs/{run_id}/review-queue")
async def get_review_queue(
    run_id: UUID,
    *,
    caller: Caller,
    res: Res,
    limit: Limit,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    review_status: QueueFilter = "unreviewed",
) -> ReviewQueuePage:
    """Settled blocks, flagged first (most flags first), then in document and block order, with
    each block's text, section path and page beside its values."""
    try:
        after = decode_queue_cursor(cursor)
    except InvalidCursorError as exc:
        raise ApiError(422, "invalid_cursor", str(exc)) from None
    return await review_queue(
        res.pool,
        run_id=run_id,
        account_id=caller.id,
        after=after,
        limit=limit,
        review_status=review_status,
    )


def _event_page(rows: list[asyncpg.Record], limit: int) -> ReviewEventPage:
    items = [
        ReviewEvent.model_validate(
            {**dict(r), "block_uid": make_block_uid(r["document_id"], r["block_index"])}
        )
        for r in rows[:limit]
    ]
    return ReviewEventPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


@router.get("/runs/{run_id}/review-events")
async def get_run_review_events(
    run_id: UUID, caller: Caller, res: Res, limit: Limit, cursor: EventCursor = None
) -> ReviewEventPage:
    """Every review action on the run's blocks, newest first."""
    if not await res.pool.fetchval(Q.run_exists, run_id, caller.id):
        raise not_found("run")
    rows = await res.pool.fetch(Q.run_review_events, run_id, cursor, limit + 1)
    return _event_page(rows, limit)


@router.get(f"{_BLOCK}/review-events")
async def get_block_review_events(
    run_id: UUID,
    document_id: UUID,
    block_index: BlockIndex,
    *,
    caller: Caller,
    res: Res,
    limit: Limit,
    cursor: EventCursor = None,
) -> ReviewEventPage:
    """One block's review actions, newest first."""
    key = (run_id, document_id, block_index)
    if not await res.pool.fetchval(Q.overlay_exists, *key, caller.id):
        raise not_found("overlay")
    rows = await res.pool.fetch(Q.overlay_review_events, *key, cursor, limit + 1)
    return _event_page(rows, limit)

"""Review actions: the writes a person makes to a run's settled blocks, one at a time or in bulk.

Each action is a conditional update on the revision the person saw plus its audit row, in one
transaction: two reviewers acting on the same block cannot both win, and nothing changes without
a trace. The rules of a single action are pure (`review_rules`); bulk actions are one statement
that locks the rows it moves. Counters are counted on read (`review_counts`), never kept.
"""

from typing import Any
from uuid import UUID

import asyncpg

from strata.contracts.blocks import make_block_uid
from strata.contracts.overlays import OverlayStatus, ReviewAction, ReviewStatus
from strata.gateway.api_models import (
    BulkReviewRequest,
    BulkReviewResult,
    ReviewCounts,
    ReviewItem,
    ReviewRequest,
)
from strata.gateway.domain import review_metrics
from strata.gateway.domain.review_rules import (
    ReviewState,
    StaleRevisionError,
    decide,
    snapshot,
)
from strata.gateway.sql import Q
from strata.gateway.web.auth import Account
from strata.gateway.web.errors import ApiError, not_found
from strata.planning.values import value_validator


def review_item(row: asyncpg.Record | dict[str, Any], **changed: Any) -> ReviewItem:
    data = {**dict(row), **changed}
    return ReviewItem.model_validate(
        {
            **data,
            "block_uid": make_block_uid(data["document_id"], data["block_index"]),
            "revision": data["review_revision"],
        }
    )


def _stale(current: ReviewItem) -> ApiError:
    return ApiError(
        409,
        "stale_revision",
        f"the block is at revision {current.revision}; reload it and act again",
        details={"current": current.model_dump(mode="json")},
    )


def _state(row: asyncpg.Record) -> ReviewState:
    return ReviewState(
        status=OverlayStatus(row["status"]),
        review_status=ReviewStatus(row["review_status"]),
        staged=row["staged"],
        confirmed=row["confirmed"],
        revision=row["review_revision"],
    )


async def review_block(
    pool: asyncpg.Pool,
    *,
    run_id: UUID,
    document_id: UUID,
    block_index: int,
    caller: Account,
    body: ReviewRequest,
) -> ReviewItem:
    """One action on one block; 409 `stale_revision` (with the current state) when the block
    moved past `body.revision`, whether before our read or between our read and our update."""
    key = (run_id, document_id, block_index)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(Q.review_overlay, *key, caller.id)
        if row is None:
            raise not_found("overlay")
        state = _state(row)
        definition = row["definition"]
        try:
            change = decide(
                state,
                action=body.action,
                revision=body.revision,
                values=body.values,
                definition=definition,
                validator=value_validator(definition) if body.action is ReviewAction.EDIT else None,
            )
        except StaleRevisionError:
            raise _stale(review_item(row)) from None
        revision = await conn.fetchval(
            Q.apply_review, *key, body.revision, change.review_status.value, change.confirmed
        )
        if revision is None:  # another reviewer committed after our read: they won
            current = await conn.fetchrow(Q.review_overlay, *key, caller.id)
            raise _stale(review_item(current))
        await conn.execute(
            Q.insert_review_event,
            *key,
            caller.id,
            caller.token_id,
            body.action.value,
            snapshot(state.review_status, state.confirmed),
            snapshot(change.review_status, change.confirmed),
            revision,
            body.reason,
        )
    review_metrics.count(body.action.value, mode="single")
    return review_item(
        row,
        review_status=change.review_status,
        confirmed=change.confirmed,
        review_revision=revision,
    )


_SETTLED = [OverlayStatus.AI_COMPLETE.value, OverlayStatus.FAILED.value]
_UNREVIEWED = [ReviewStatus.UNREVIEWED.value]
_REVIEWED = [ReviewStatus.CONFIRMED.value, ReviewStatus.EDITED.value, ReviewStatus.REJECTED.value]
# action -> (overlay statuses, review statuses it starts from, where it leads, needs staged)
_BULK = {
    ReviewAction.CONFIRM: ([OverlayStatus.AI_COMPLETE.value], _UNREVIEWED, ReviewStatus.CONFIRMED),
    ReviewAction.REJECT: (_SETTLED, _UNREVIEWED, ReviewStatus.REJECTED),
    ReviewAction.REOPEN: (_SETTLED, _REVIEWED, ReviewStatus.UNREVIEWED),
}


async def bulk_review(
    pool: asyncpg.Pool, *, run_id: UUID, caller: Account, body: BulkReviewRequest
) -> BulkReviewResult:
    """One action over a run, a document of it, or a filter. Only confirm skips flagged blocks
    (unless `include_flagged`, or a `flag` filter names the ones wanted): rejecting or reopening
    a flagged block is never the risk that confirming one unseen is."""
    if not await pool.fetchval(Q.run_exists, run_id, caller.id):
        raise not_found("run")
    if body.document_id and not await pool.fetchval(Q.run_has_document, run_id, body.document_id):
        raise not_found("document")
    action = ReviewAction(body.action)
    statuses, start_from, target = _BULK[action]
    if body.status is not None:
        statuses = [s for s in statuses if s == body.status.value]
    confirm = action is ReviewAction.CONFIRM
    include_flagged = body.include_flagged or body.flag is not None or not confirm
    row = await pool.fetchrow(
        Q.bulk_review,
        run_id,
        body.document_id,
        statuses,
        start_from,
        include_flagged,
        body.flag.value if body.flag else None,
        confirm,  # only blocks with staged values can be confirmed
        target.value,
        caller.id,
        caller.token_id,
        action.value,
        body.reason,
    )
    review_metrics.count(action.value, mode="bulk", blocks=row["changed"])
    return BulkReviewResult(
        action=action, changed=row["changed"], skipped_flagged=row["skipped_flagged"]
    )


async def review_counts(pool: asyncpg.Pool, run_id: UUID) -> ReviewCounts:
    row = dict(await pool.fetchrow(Q.review_counts, run_id))
    return ReviewCounts(**row, reviewed=row["unreviewed"] == 0)

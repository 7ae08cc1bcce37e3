"""The review queue of a run: flagged blocks first (most flags first), then every other block in
document and block order, keyset-paged so page n costs what page 1 costs.

Two index range scans instead of one sort: the flagged part walks `overlays_flagged_idx`
(run_id, -flag count, document_id, block_index), the rest walks the primary key. A cursor names
the last block returned with its flag count, so it says which part to continue in.
"""

from typing import Literal
from uuid import UUID

import asyncpg

from strata.gateway.api_models import ReviewQueuePage
from strata.gateway.domain.review import review_item
from strata.gateway.sql import Q
from strata.gateway.web.cursors import NIL_DOCUMENT, encode_queue_cursor, split_page
from strata.gateway.web.errors import not_found

QueueFilter = Literal["unreviewed", "confirmed", "edited", "rejected", "any"]
_BEFORE_ALL = -(2**31)  # below -flag_count of every row: "the flagged part from its start"


async def review_queue(
    pool: asyncpg.Pool,
    *,
    run_id: UUID,
    account_id: UUID,
    after: tuple[int, UUID, int] | None,
    limit: int,
    review_status: QueueFilter,
) -> ReviewQueuePage:
    if not await pool.fetchval(Q.run_exists, run_id, account_id):
        raise not_found("run")
    wanted = None if review_status == "any" else review_status
    rows: list[asyncpg.Record] = []
    if after is None or after[0] > 0:
        neg, document_id, block_index = (
            (-after[0], after[1], after[2]) if after else (_BEFORE_ALL, NIL_DOCUMENT, -1)
        )
        rows = await pool.fetch(
            Q.review_queue_flagged, run_id, neg, document_id, block_index, wanted, limit + 1
        )
    if len(rows) <= limit:
        document_id, block_index = (
            (after[1], after[2]) if after and after[0] == 0 else (NIL_DOCUMENT, -1)
        )
        rows += await pool.fetch(
            Q.review_queue_unflagged,
            run_id,
            document_id,
            block_index,
            wanted,
            limit + 1 - len(rows),
        )
    page, has_more = split_page(rows, limit)
    last = page[-1] if has_more else None
    return ReviewQueuePage(
        items=[review_item(r) for r in page],
        next_cursor=None
        if last is None
        else encode_queue_cursor(len(last["flags"]), last["document_id"], last["block_index"]),
    )

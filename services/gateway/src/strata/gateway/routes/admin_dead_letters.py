"""`GET /v1/admin/dead-letters`: messages a consumer gave up on, with the reason (superusers).

The rollup service copies every message of the queue `strata.dead-letters` into the table
`dead_letters` (acking only after the copy committed), so reading them here loses nothing and
never touches the broker."""

from typing import Annotated

from fastapi import APIRouter, Query

from strata.gateway.api_models import DeadLetter, DeadLetterPage, ErrorBody
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.cursors import decode_keyset, encode_keyset, split_page
from strata.gateway.web.deps import Limit, Res
from strata.gateway.web.errors import ApiError

router = APIRouter(tags=["admin"])


@router.get(
    "/admin/dead-letters",
    responses={403: {"model": ErrorBody, "description": "not a superuser"}},
)
async def list_dead_letters(
    *,
    caller: Caller,
    res: Res,
    limit: Limit,
    cursor: Annotated[
        str | None, Query(description="next_cursor of the previous page")
    ] = None,
    queue: Annotated[
        str | None, Query(max_length=255, description="only this consumer queue")
    ] = None,
) -> DeadLetterPage:
    if not caller.is_superuser:
        raise ApiError(403, "forbidden", "only superusers may read dead letters")
    after_at, after_id = decode_keyset(cursor)
    rows = await res.pool.fetch(Q.page_dead_letters, after_at, after_id, queue, limit + 1)
    page, more = split_page(rows, limit)
    return DeadLetterPage(
        items=[DeadLetter.model_validate(dict(r)) for r in page],
        next_cursor=encode_keyset(page[-1]["received_at"], page[-1]["id"]) if more else None,
    )

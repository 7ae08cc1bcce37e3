"""Per-account request rate limit, shared by every gateway process.

A fixed one-minute window counted in one Postgres row per account (`rate_limits`, one upsert
per request), so N gateway processes enforce one limit, not N of them; a process-local counter
would let an account multiply its rate by the number of replicas. Fixed windows allow a burst of
up to twice the limit across a window boundary, which is acceptable for protecting the shared
database and workers; the answer is `429 rate_limited` with `Retry-After` (seconds to the next
window)."""

import math
from uuid import UUID

import asyncpg

from strata.gateway.sql import Q
from strata.gateway.web.errors import ApiError

WINDOW_S = 60


async def check_rate_limit(pool: asyncpg.Pool, account_id: UUID, *, per_minute: int) -> None:
    if per_minute <= 0:
        return
    row = await pool.fetchrow(Q.count_request, account_id, WINDOW_S)
    if row["requests"] > per_minute:
        retry_after = max(1, math.ceil(float(row["seconds_left"])))
        raise ApiError(
            429,
            "rate_limited",
            f"more than {per_minute} requests this minute; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )

"""The shared rate-limit mirror on real Postgres: concurrent limiters (as separate worker
processes would) debit one row under its lock, with the database's clock, and never overdraw."""

import asyncio
from types import SimpleNamespace

import pytest

from strata.runtime.db import create_pool
from strata.worker.pg_store import PgLimiterStore
from strata.worker.rate_limits import BucketState, Cost, Level, take

pytestmark = pytest.mark.integration

BUCKET = "platform:claude-sonnet-4-6"


async def test_concurrent_takes_share_one_bucket_exactly(database_url: str) -> None:
    pools = [await create_pool(database_url, size=4) for _ in range(3)]  # three "processes"
    stores = [PgLimiterStore(SimpleNamespace(pool=p)) for p in pools]  # type: ignore[arg-type]
    try:
        assert await stores[0].update(BUCKET, lambda state, now: (None, state)) is None

        def seed(state: BucketState | None, now: float) -> tuple[BucketState, float]:
            # 10,000 input tokens per minute, 3,000 in the bucket: a 100-token call fits 30 times
            return BucketState(now, {"input_tokens": Level(10_000, 3000.0)}), now

        seeded_at = await stores[0].update(BUCKET, seed)

        def one_call(state: BucketState | None, now: float) -> tuple[BucketState | None, float]:
            assert state is not None
            return take(state, Cost(1, 100, 0), now, headroom=0.0)

        waits = await asyncio.gather(*(stores[i % 3].update(BUCKET, one_call) for i in range(60)))
        admitted = sum(1 for w in waits if w <= 0)
        state, now = await stores[1].update(BUCKET, lambda state, now: (None, (state, now)))
        refill = 10_000 / 60 * (state.at - seeded_at)
        # every admitted call was debited exactly once, a refused one not at all
        assert state.levels["input_tokens"].level == pytest.approx(3000 + refill - 100 * admitted)
        assert 30 <= admitted <= 30 + refill / 100 + 1
        assert now >= state.at >= seeded_at  # the database clock, moving forward under the lock
    finally:
        for pool in pools:
            await pool.close()

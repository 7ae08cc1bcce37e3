"""Run counters and status, recomputed from the overlays themselves; lease reaping."""

import asyncio
import logging
from collections import Counter
from uuid import UUID

from strata.contracts import routing
from strata.contracts.messages import (
    OverlaysSettled,
    PackReady,
    RunCompleted,
    RunCounters,
    RunProgress,
)
from strata.contracts.overlays import RunStatus
from strata.runtime.db import Queries
from strata.runtime.outbox import Outbox

logger = logging.getLogger(__name__)


class RunRollup:
    def __init__(self, *, outbox: Outbox, queries: Queries) -> None:
        self._outbox = outbox
        self._queries = queries

    async def on_settled(self, msg: OverlaysSettled) -> None:
        await self.recompute(msg.run_id)

    async def recompute(self, run_id: UUID) -> RunProgress | None:
        async with self._outbox.transaction() as uow:
            if await uow.conn.fetchval(self._queries.lock_run, run_id) is None:
                return None
            row = await uow.conn.fetchrow(self._queries.recompute_run, run_id)
            counters = RunCounters(
                total_blocks=row["total"],
                completed_blocks=row["completed"],
                failed_blocks=row["failed"],
                pending_blocks=row["pending"],
                claimed_blocks=row["claimed"],
            )
            status = RunStatus(row["status"])
            progress = RunProgress(run_id=run_id, status=status, counters=counters)
            uow.emit(routing.RUN_PROGRESS, progress)
            # Exactly once: only the recompute that moves the run into `complete` announces it.
            if status is RunStatus.COMPLETE and row["old_status"] != RunStatus.COMPLETE:
                uow.emit(
                    routing.RUN_COMPLETED,
                    RunCompleted(run_id=run_id, status=status, counters=counters),
                )
                logger.info("run %s complete: %s", run_id, counters.model_dump())
        return progress

    async def reap_expired_claims(self, *, limit: int = 5000) -> int:
        """Release expired claims and offer their packs again."""
        async with self._outbox.transaction() as uow:
            rows = await uow.conn.fetch(self._queries.reap_expired_claims, limit)
            offered = Counter((r["run_id"], r["pack_id"]) for r in rows if r["status"] == "pending")
            for (run_id, pack_id), count in offered.items():
                uow.emit(
                    routing.PACK_READY.routing_key,
                    PackReady(run_id=run_id, pack_id=pack_id, block_count=count),
                )
            for run_id in {r["run_id"] for r in rows}:
                uow.emit(routing.OVERLAYS_SETTLED.routing_key, OverlaysSettled(run_id=run_id))
        if rows:
            logger.warning("reaped %d expired claim(s) in %d pack(s)", len(rows), len(offered))
        return len(rows)

    async def sweep_once(self) -> None:
        await self.reap_expired_claims()
        async with self._outbox.pool.acquire() as conn:
            run_ids = [r["id"] for r in await conn.fetch(self._queries.active_runs, 1000)]
        for run_id in run_ids:
            await self.recompute(run_id)

    async def run_sweeps(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.sweep_once()
            except Exception:  # the sweeper must outlive a database outage
                logger.exception("rollup sweep failed; will try again")

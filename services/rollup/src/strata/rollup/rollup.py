"""Run counters and status, recomputed from the overlays themselves; lease reaping."""

import asyncio
import logging
from collections import Counter
from uuid import UUID

from strata.contracts.messages import (
    PackReady,
    PlanRequested,
    RecountRequested,
    RunCompleted,
    RunCounters,
    RunProgress,
)
from strata.contracts.runs import RunStatus
from strata.runtime.db import Queries
from strata.runtime.outbox import Outbox

logger = logging.getLogger(__name__)

# Derived by the recompute: the run's pending blocks were released for want of a usable key.
WAIT_REASONS = frozenset({"waiting_for_api_key", "waiting_for_valid_api_key", "budget_exhausted"})


class RunRollup:
    def __init__(self, *, outbox: Outbox, queries: Queries, min_interval_s: float = 0.0) -> None:
        self._outbox = outbox
        self._queries = queries
        self._min_interval_s = min_interval_s
        self._in_flight: set[UUID] = set()
        self._dirty: set[UUID] = set()

    async def on_settled(self, msg: RecountRequested) -> None:
        """Coalesced per run: while a recompute of a run is in flight, further settles of that run
        only mark it dirty, and the in-flight one runs once more when it ends. A 50,000-block run
        settles hundreds of packs; each recompute counts every overlay of the run, so doing it
        once per message would make the rollup quadratic. A settle acked while coalesced is
        covered by the recompute that follows it (and by the sweep if this process dies)."""
        if msg.run_id in self._in_flight:
            self._dirty.add(msg.run_id)
            return
        self._in_flight.add(msg.run_id)
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._dirty.discard(msg.run_id)
                started = loop.time()
                await self.recompute(msg.run_id)
                if msg.run_id not in self._dirty:
                    return
                # More settled meanwhile: recompute again, but not more often than the
                # interval, so live progress stays live without counting a big run non-stop.
                await asyncio.sleep(max(0.0, self._min_interval_s - (loop.time() - started)))
        finally:
            self._in_flight.discard(msg.run_id)

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
            if row["status_reason"] != row["old_reason"] and row["status_reason"] in WAIT_REASONS:
                logger.warning(
                    "run %s is waiting: %s (%s)",
                    run_id,
                    row["status_reason"],
                    "raise the budget"
                    if row["status_reason"] == "budget_exhausted"
                    else "add or fix the account's provider key, then resume",
                )
            progress = RunProgress(
                run_id=run_id, status=status, counters=counters, status_reason=row["status_reason"]
            )
            uow.emit(progress)
            # Exactly once: only the recompute that moves the run into `complete` announces it.
            if status is RunStatus.COMPLETE and row["old_status"] != RunStatus.COMPLETE:
                uow.emit(
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
                    PackReady(run_id=run_id, pack_id=pack_id, block_count=count),
                )
            for run_id in {r["run_id"] for r in rows}:
                uow.emit(RecountRequested(run_id=run_id))
        if rows:
            logger.warning("reaped %d expired claim(s) in %d pack(s)", len(rows), len(offered))
        return len(rows)

    async def reoffer_if_stalled(self, run_id: UUID) -> int:
        """Offer again the work of a run whose messages were lost; returns packs offered."""
        async with self._outbox.transaction() as uow:
            rows = await uow.conn.fetch(self._queries.reoffer_stalled_run, run_id)
            packs = Counter(r["pack_id"] for r in rows)
            for pack_id, count in packs.items():
                if pack_id is None:
                    uow.emit(PlanRequested(run_id=run_id))
                else:
                    uow.emit(
                        PackReady(run_id=run_id, pack_id=pack_id, block_count=count),
                    )
        if rows:
            logger.warning(
                "run %s stalled with %d pending block(s): offered %d pack(s) again",
                run_id, len(rows), len(packs),
            )  # fmt: skip
        return len(packs)

    async def sweep_once(self) -> None:
        await self.reap_expired_claims()
        async with self._outbox.pool.acquire() as conn:
            run_ids = [r["id"] for r in await conn.fetch(self._queries.active_runs, 1000)]
        for run_id in run_ids:
            progress = await self.recompute(run_id)
            if (
                progress
                and progress.counters.pending_blocks
                and not progress.counters.claimed_blocks
            ):
                await self.reoffer_if_stalled(run_id)

    async def run_sweeps(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.sweep_once()
            except Exception:  # the sweeper must outlive a database outage
                logger.exception("rollup sweep failed; will try again")

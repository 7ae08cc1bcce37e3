"""Run counters and status, recomputed from the overlays themselves; lease reaping."""

import asyncio
import logging
from uuid import UUID

from opentelemetry import trace
from opentelemetry.trace import Link

from strata.contracts.messages import RecountRequested, RunProgress
from strata.contracts.runs import RunStatus
from strata.rollup import metrics
from strata.rollup.announcements import (
    planning_messages,
    progress_of,
    reap_messages,
    recount_messages,
    reoffer_messages,
)
from strata.rollup.store import RollupStore
from strata.runtime.tracing import MAX_LINKS, current_link, distinct_links

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

# Derived by the recompute: the run's pending blocks were released for want of a usable key.
WAIT_REASONS = frozenset({"waiting_for_api_key", "waiting_for_valid_api_key", "budget_exhausted"})


class RunRollup:
    def __init__(self, *, store: RollupStore, min_interval_s: float = 0.0) -> None:
        self._store = store
        self._min_interval_s = min_interval_s
        self._in_flight: set[UUID] = set()
        self._dirty: set[UUID] = set()
        # The settles coalesced into the next recompute of a run: its span links to their
        # deliveries (each a child of the pack span that settled), so every settled block
        # reaches the recount that counted it.
        self._coalesced: dict[UUID, list[Link | None]] = {}

    async def on_settled(self, msg: RecountRequested) -> None:
        """Coalesced per run: while a recompute of a run is in flight, further settles of that run
        only mark it dirty, and the in-flight one runs once more when it ends. A 50,000-block run
        settles hundreds of packs; each recompute counts every overlay of the run, so doing it
        once per message would make the rollup quadratic. A settle acked while coalesced is
        covered by the recompute that follows it (and by the sweep if this process dies)."""
        if msg.run_id in self._in_flight:
            self._dirty.add(msg.run_id)
            waiting = self._coalesced.setdefault(msg.run_id, [])
            if len(waiting) < MAX_LINKS:
                waiting.append(current_link())
            return
        self._in_flight.add(msg.run_id)
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._dirty.discard(msg.run_id)
                started = loop.time()
                links = distinct_links(self._coalesced.pop(msg.run_id, []))
                with tracer.start_as_current_span("strata.recount", links=links) as span:
                    span.set_attribute("strata.run_id", str(msg.run_id))
                    await self.recompute(msg.run_id)
                if msg.run_id not in self._dirty:
                    return
                # More settled meanwhile: recompute again, but not more often than the
                # interval, so live progress stays live without counting a big run non-stop.
                await asyncio.sleep(max(0.0, self._min_interval_s - (loop.time() - started)))
        finally:
            self._in_flight.discard(msg.run_id)
            self._coalesced.pop(msg.run_id, None)

    async def recompute(self, run_id: UUID) -> RunProgress | None:
        recount = await self._store.recount(run_id, messages=recount_messages)
        if recount is None:
            return None
        metrics.RECOMPUTES.inc()
        reason = recount.status_reason
        if reason != recount.previous_reason and reason in WAIT_REASONS:
            logger.warning(
                "run %s is waiting: %s (%s)",
                run_id,
                reason,
                "raise the budget"
                if reason == "budget_exhausted"
                else "add or fix the account's provider key, then resume",
            )
        if recount.completes_the_run:
            metrics.RUNS_COMPLETED.inc()
            logger.info("run %s complete: %s", run_id, recount.counters.model_dump())
        return progress_of(recount)

    async def reap_expired_claims(self, *, limit: int = 5000) -> int:
        """Release expired claims and offer their packs again."""
        reaped = await self._store.reap_expired_claims(limit=limit, messages=reap_messages)
        metrics.LEASES_EXPIRED.inc(len(reaped))
        if reaped:
            packs = {(c.run_id, c.pack_id) for c in reaped if c.status == "pending"}
            logger.warning("reaped %d expired claim(s) in %d pack(s)", len(reaped), len(packs))
        return len(reaped)

    async def reoffer_if_stalled(self, run_id: UUID) -> int:
        """Offer again the work of a run whose messages were lost; returns packs offered."""
        packs = await self._store.touch_stalled_pending(
            run_id, messages=lambda found: reoffer_messages(run_id, found)
        )
        offered = len(set(packs))
        if packs:
            logger.warning(
                "run %s stalled with %d pending block(s): offered %d pack(s) again",
                run_id, len(packs), offered,
            )  # fmt: skip
        return offered

    async def sweep_once(self) -> None:
        await self.reap_expired_claims()
        for run_id in await self._store.active_runs(limit=1000):
            progress = await self.recompute(run_id)
            if progress and progress.status is RunStatus.PLANNING:
                if await self._store.rerequest_stalled_planning(
                    run_id, messages=planning_messages
                ):
                    logger.warning("run %s: planning stalled; requested it again", run_id)
                continue
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

"""The worker's stores on Postgres. All of the worker's SQL (`queries.sql`, `keys.sql`,
`limiter.sql`) is loaded here and nowhere else."""

import json
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from uuid import UUID, uuid4

import asyncpg

from strata.contracts.messages import PlanRequested, RecountRequested
from strata.contracts.overlays import OverlayStatus
from strata.contracts.runs import RunStatus
from strata.planning.planner import PlannedBlock
from strata.runtime.db import Queries
from strata.runtime.outbox import UnitOfWork
from strata.runtime.service import ServiceRuntime
from strata.worker.limiter import Change
from strata.worker.outcomes import ClaimedBlock
from strata.worker.rate_limits import BucketState
from strata.worker.store import (
    PlanningChunk,
    PlanningStep,
    PlanningWrite,
    ProviderKey,
    RunInputs,
    SettledOverlay,
    Settlement,
    announcements,
)

T = TypeVar("T")
QUERIES = Queries.load(Path(__file__).with_name("queries.sql"))
KEYS_SQL = Queries.load(Path(__file__).with_name("keys.sql"))

_LIVE_RUN = ("planning", "pending", "running")


class PgPackStore:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.q = QUERIES

    async def run_inputs(self, run_id: UUID) -> RunInputs | None:
        row = await self.runtime.pool.fetchrow(self.q.run_context, run_id)
        if row is None:
            return None
        return RunInputs(
            account_id=row["account_id"],
            policy=row["policy"],
            definition=row["definition"],
            prompt_config=row["prompt_config"],
        )

    async def claim(
        self, *, run_id: UUID, pack_id: UUID, worker_id: str, lease_seconds: float
    ) -> list[ClaimedBlock]:
        rows = await self.runtime.pool.fetch(
            self.q.claim_pack, run_id, pack_id, worker_id, float(lease_seconds)
        )
        return [
            ClaimedBlock(
                r["document_id"],
                r["block_index"],
                r["attempt_count"],
                r["text"],
                trace_context=r["trace_context"],
            )
            for r in rows
        ]

    async def renew_lease(
        self, *, run_id: UUID, pack_id: UUID, worker_id: str, lease_seconds: float
    ) -> None:
        await self.runtime.pool.execute(
            self.q.renew_lease, run_id, pack_id, worker_id, float(lease_seconds)
        )

    async def reserve_budget(self, run_id: UUID, amount: Decimal) -> bool:
        # On the pool, not a held connection: a handler never holds one connection while
        # waiting for another (with every handler doing so, the pool would deadlock).
        return await self.runtime.pool.fetchval(self.q.reserve_budget, run_id, amount) is not None

    async def settle(self, settlement: Settlement) -> int:
        async with self.runtime.outbox.transaction() as uow:
            return await write_settlement(uow, self.q, settlement)

    async def plan_step(
        self, run_id: UUID, step: PlanningStep, *, limit: int, request_more: bool = True
    ) -> PlanningWrite | None:
        async with self.runtime.outbox.transaction() as uow:
            conn = uow.conn
            # The lock serialises planning of a run: a duplicate plan-requested waits, then
            # finds the cursor moved on.
            status = await conn.fetchval(self.q.lock_run, run_id)
            if status not in _LIVE_RUN:
                return None
            unpacked = _planned(await conn.fetch(self.q.unplanned_blocks, run_id, limit + 1))
            fresh: list[PlannedBlock] = []
            if not unpacked and status == RunStatus.PLANNING:
                fresh = await self._blocks_after_cursor(conn, run_id, limit + 1)
            written = step(PlanningChunk(status, unpacked, fresh))
            if written is None:
                return None
            packs = written.packs
            columns = (run_id, packs.document_ids, packs.block_indexes, packs.pack_ids)
            if written.fresh:
                await conn.execute(self.q.insert_planned_overlays, *columns)
            else:
                await conn.execute(self.q.assign_packs, *columns)
            for ready in packs.messages:
                uow.emit(ready)
            if written.more and request_more:
                uow.emit(PlanRequested(run_id=run_id))
            if written.finished:
                await conn.execute(self.q.finish_planning, run_id)
                uow.notify(RecountRequested(run_id=run_id))  # may complete it at once
            elif status == RunStatus.PLANNING:
                await conn.execute(self.q.planning_step_done, run_id)
        return written

    async def _blocks_after_cursor(
        self, conn: asyncpg.Connection, run_id: UUID, limit: int
    ) -> list[PlannedBlock]:
        """Up to `limit` blocks of the run's documents after its last overlay, in claim order:
        the rest of the cursor's document, then whole documents (each a primary-key range)."""
        cursor = await conn.fetchrow(self.q.last_overlay, run_id)
        found: list[PlannedBlock] = []
        after_document = None
        if cursor is not None:
            after_document = cursor["document_id"]
            found += _planned(
                await conn.fetch(
                    self.q.document_blocks_after, after_document, cursor["block_index"], limit
                )
            )
        while len(found) < limit:
            documents = await conn.fetch(self.q.next_run_documents, run_id, after_document, 64)
            for document in documents:
                after_document = document["document_id"]
                found += _planned(
                    await conn.fetch(
                        self.q.document_blocks_after, after_document, -1, limit - len(found)
                    )
                )
                if len(found) >= limit:
                    break
            if len(documents) < 64:
                break
        return found


def _planned(rows: list[asyncpg.Record]) -> list[PlannedBlock]:
    return [PlannedBlock((r["document_id"], r["block_index"]), r["token_estimate"]) for r in rows]


class PgKeyStore:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.q = KEYS_SQL

    async def account_keys(self, account_id: UUID) -> list[ProviderKey]:
        rows = await self.runtime.pool.fetch(self.q.account_keys, account_id)
        return [ProviderKey(**dict(r)) for r in rows]

    async def mark_key_rejected(self, key_id: UUID) -> bool:
        return await self.runtime.pool.fetchval(self.q.mark_key_rejected, key_id) is not None


async def write_settlement(uow: UnitOfWork, q: Queries, settlement: Settlement) -> int:
    """Everything one pack's turn changes, inside the caller's transaction (a realtime settle,
    or one Message Batch result with its request's own bookkeeping). Returns the overlays
    settled: only claims still held by `settlement.worker_id`."""
    pack, outcomes = settlement.pack, settlement.decision.outcomes
    rows = await uow.conn.fetch(
        q.settle_overlays,
        pack.run_id,
        [o.block.document_id for o in outcomes],
        [o.block.block_index for o in outcomes],
        [o.status.value for o in outcomes],
        [o.staged for o in outcomes],
        [o.attempt_inc for o in outcomes],
        [o.pack_id for o in outcomes],
        [o.error_code for o in outcomes],
        [o.error_message for o in outcomes],
        settlement.worker_id,
        # JSON text per row: asyncpg would read a list of lists as a 2-D array.
        [json.dumps(o.flags) for o in outcomes],
        *(settlement.trace or (None, None)),
    )
    call = settlement.call
    if call is not None:
        await uow.conn.execute(
            q.insert_llm_call,
            uuid4(),
            pack.run_id,
            pack.pack_id,
            call.block_uids,
            call.model,
            call.input_tokens,
            call.output_tokens,
            call.cache_creation_input_tokens,
            call.cache_read_input_tokens,
            call.cost_usd,
            call.latency_ms,
            call.stop_reason,
            call.error_code,
            call.error_message,
            call.cache_miss_reason,
            call.structured_output,
            call.service_tier,
            call.answer_form,
        )
    if settlement.reserved is not None:
        billed = call.cost_usd if call is not None else Decimal(0)
        await uow.conn.execute(q.settle_budget, pack.run_id, settlement.reserved, billed)
    settled = [SettledOverlay(OverlayStatus(r["status"]), r["pack_id"]) for r in rows]
    follow_ups, notice = announcements(pack, settlement.decision, settled)
    for ready in follow_ups:
        uow.emit(ready)
    if notice is not None:
        # derived state: a lost one is healed by the rollup's sweep
        uow.notify(notice)
    return len(settled)


LIMITER_SQL = Queries.load(Path(__file__).with_name("limiter.sql"))


class PgLimiterStore:
    """The rate-limit mirrors (`provider_rate_limits`): one row per key and model, changed under
    its row lock with the database's clock, so every worker process sees one bucket."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.q = LIMITER_SQL

    async def update(self, bucket: str, change: Change[T]) -> T:
        async with self.runtime.pool.acquire() as conn, conn.transaction():
            raw = await conn.fetchval(self.q.lock_bucket, bucket)
            now = await conn.fetchval(self.q.database_now)
            state = BucketState.from_json(raw) if raw is not None else None
            new_state, result = change(state, float(now))
            if new_state is not None:
                await conn.execute(self.q.save_bucket, bucket, new_state.to_json())
            return result

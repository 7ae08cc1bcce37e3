"""`BatchStore` on Postgres: the SQL of `batch_queries.sql`, each write one transaction (a
result's settle commits with the messages it causes, through the outbox)."""

from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg

from strata.contracts.messages import PackReady
from strata.runtime.db import Queries
from strata.runtime.service import ServiceRuntime
from strata.worker.batch_store import BatchRequestRow, BatchTicket, batch_worker_id
from strata.worker.outcomes import ClaimedBlock
from strata.worker.pg_store import QUERIES, write_settlement
from strata.worker.store import Settlement

BATCH_SQL = Queries.load(Path(__file__).with_name("batch_queries.sql"))


def _request(row: asyncpg.Record) -> BatchRequestRow:
    return BatchRequestRow(
        row["id"], row["run_id"], row["pack_id"], row["split_depth"], row["reserved_usd"]
    )


class PgBatchStore:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.q = BATCH_SQL

    async def queue_pack(self, pack: PackReady, *, request_id: UUID, claim_seconds: int) -> int:
        row = await self.runtime.pool.fetchrow(
            self.q.queue_pack,
            pack.run_id,
            pack.pack_id,
            request_id,
            float(claim_seconds),
            pack.split_depth,
        )
        return int(row["claimed"]) if row is not None else 0

    async def take_queued(
        self, *, worker_id: str, lease_seconds: float, gather_seconds: float, limit: int
    ) -> BatchTicket | None:
        async with self.runtime.pool.acquire() as conn, conn.transaction():
            run_id = await conn.fetchval(self.q.oldest_queued_run, float(gather_seconds))
            if run_id is None:
                return None
            account_id = await conn.fetchval(self.q.run_account, run_id)
            batch_id = uuid4()
            await conn.execute(
                self.q.insert_batch, batch_id, run_id, worker_id, float(lease_seconds)
            )
            rows = await conn.fetch(self.q.take_run_queued, run_id, batch_id, limit)
            if not rows:  # another worker took them between the two statements
                await conn.execute(self.q.delete_batch, batch_id)
                return None
            await conn.execute(self.q.set_request_count, batch_id, len(rows))
        return BatchTicket(
            id=batch_id,
            run_id=run_id,
            account_id=account_id,
            state="submitting",
            provider_batch_id=None,
            run_live=True,
            cancel_requested=False,
            requests=[_request(r) for r in rows],
        )

    async def drop_dead_queued(self) -> int:
        status = await self.runtime.pool.execute(self.q.drop_dead_queued)
        return int(status.split()[-1])

    async def claimed_blocks(self, request_id: UUID) -> list[ClaimedBlock]:
        pool = self.runtime.pool
        run_id = await pool.fetchval(self.q.request_run, request_id)
        if run_id is None:
            return []
        rows = await pool.fetch(self.q.claimed_blocks, run_id, batch_worker_id(request_id))
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

    async def reserve_budget(self, run_id: UUID, amount: Decimal) -> bool:
        reserved = await self.runtime.pool.fetchval(QUERIES.reserve_budget, run_id, amount)
        return reserved is not None

    async def set_reserved(self, request_id: UUID, amount: Decimal) -> None:
        await self.runtime.pool.execute(self.q.set_reserved, request_id, amount)

    async def requeue(self, requests: list[BatchRequestRow]) -> None:
        async with self.runtime.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(self.q.requeue, [r.id for r in requests])
            for row in rows:
                if row["reserved_usd"] is not None:
                    await conn.execute(self.q.release_budget, row["run_id"], row["reserved_usd"])

    async def drop(self, request_id: UUID) -> None:
        await self.runtime.pool.execute(self.q.drop_request, request_id)

    async def mark_submitted(
        self, batch_id: UUID, *, provider_batch_id: str, poll_after_seconds: float
    ) -> None:
        await self.runtime.pool.execute(
            self.q.mark_submitted, batch_id, provider_batch_id, float(poll_after_seconds)
        )

    async def take_due(self, *, worker_id: str, lease_seconds: float) -> BatchTicket | None:
        async with self.runtime.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(self.q.take_due, worker_id, float(lease_seconds))
            if row is None:
                return None
            requests = await conn.fetch(self.q.batch_requests_open, row["id"])
        return BatchTicket(
            id=row["id"],
            run_id=row["run_id"],
            account_id=row["account_id"],
            state=row["state"],
            provider_batch_id=row["provider_batch_id"],
            run_live=bool(row["run_live"]),
            cancel_requested=row["cancel_requested"],
            requests=[_request(r) for r in requests],
        )

    async def mark_cancel_requested(self, batch_id: UUID) -> None:
        await self.runtime.pool.execute(self.q.mark_cancel_requested, batch_id)

    async def reschedule(self, batch_id: UUID, *, poll_after_seconds: float) -> None:
        await self.runtime.pool.execute(self.q.reschedule, batch_id, float(poll_after_seconds))

    async def settle_result(
        self, request_id: UUID, settlement: Settlement, *, requeue: PackReady | None
    ) -> int | None:
        async with self.runtime.outbox.transaction() as uow:
            # Locked first: a second poller of the same result waits here, then finds it settled.
            if await uow.conn.fetchval(self.q.lock_submitted_request, request_id) is None:
                return None
            settled = await write_settlement(uow, QUERIES, settlement)
            if requeue is not None and settled:
                uow.emit(requeue)
            await uow.conn.execute(self.q.mark_request_settled, request_id)
        return settled

    async def end_batch(self, batch_id: UUID) -> None:
        await self.runtime.pool.execute(self.q.end_batch, batch_id)

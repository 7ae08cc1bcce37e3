"""The worker's BatchStore in memory, over the in-memory PackStore's overlays.

It does what `batch_queries.sql` does for what the tests rely on: queueing claims a pack's
pending overlays for the new request (claimed_by 'batch:<id>'); a batch takes one live run's
queued requests; a result settles only a request still 'submitted', with the same settle (and
so the same claim check) as a realtime call; requeued requests release their reservations.
Leases and time are left out: every batch not ended is due, except a 'submitting' one, which is
due only once a test says its submitter died (`submitter_died`)."""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID, uuid4

from strata.contracts.messages import PackReady
from strata.contracts.overlays import OverlayStatus
from strata.worker.batch_store import BatchRequestRow, BatchTicket, batch_worker_id
from strata.worker.outcomes import ClaimedBlock
from strata.worker.store import Settlement
from tests.unit.worker.memory_store import MemoryPackStore

_LIVE = ("pending", "running")


@dataclass
class Request:
    row: BatchRequestRow
    state: str = "queued"
    batch_id: UUID | None = None


@dataclass
class Batch:
    run_id: UUID
    state: str = "submitting"
    provider_batch_id: str | None = None
    cancel_requested: bool = False
    lease_lost: bool = False


class MemoryBatchStore:
    def __init__(self, packs: MemoryPackStore) -> None:
        self.packs = packs
        self.requests: dict[UUID, Request] = {}
        self.batches: dict[UUID, Batch] = {}

    def submitter_died(self) -> None:
        for batch in self.batches.values():
            if batch.state == "submitting":
                batch.lease_lost = True

    def _rows(self, batch_id: UUID) -> list[BatchRequestRow]:
        return [
            r.row
            for r in self.requests.values()
            if r.batch_id == batch_id and r.state == "submitted"
        ]

    async def queue_pack(self, pack: PackReady, *, request_id: UUID, claim_seconds: int) -> int:
        claimed = await self.packs.claim(
            run_id=pack.run_id,
            pack_id=pack.pack_id,
            worker_id=batch_worker_id(request_id),
            lease_seconds=claim_seconds,
        )
        if claimed:
            row = BatchRequestRow(request_id, pack.run_id, pack.pack_id, pack.split_depth)
            self.requests[request_id] = Request(row)
        return len(claimed)

    async def take_queued(
        self, *, worker_id: str, lease_seconds: float, gather_seconds: float, limit: int
    ) -> BatchTicket | None:
        queued = [
            r
            for r in self.requests.values()
            if r.state == "queued" and self.packs.runs[r.row.run_id].status in _LIVE
        ]
        if not queued:
            return None
        run_id = queued[0].row.run_id
        batch_id = uuid4()
        self.batches[batch_id] = Batch(run_id)
        for r in [r for r in queued if r.row.run_id == run_id][:limit]:
            r.state, r.batch_id = "submitted", batch_id
        return self._ticket(batch_id)

    def _ticket(self, batch_id: UUID) -> BatchTicket:
        batch = self.batches[batch_id]
        run = self.packs.runs[batch.run_id]
        return BatchTicket(
            id=batch_id,
            run_id=batch.run_id,
            account_id=run.inputs.account_id,
            state=batch.state,
            provider_batch_id=batch.provider_batch_id,
            run_live=run.status in _LIVE,
            cancel_requested=batch.cancel_requested,
            requests=self._rows(batch_id),
        )

    async def drop_dead_queued(self) -> int:
        dead = [
            r
            for r in self.requests.values()
            if r.state == "queued" and self.packs.runs[r.row.run_id].status not in _LIVE
        ]
        for r in dead:
            r.state = "dropped"
        return len(dead)

    async def claimed_blocks(self, request_id: UUID) -> list[ClaimedBlock]:
        run_id = self.requests[request_id].row.run_id
        owner = batch_worker_id(request_id)
        return [
            ClaimedBlock(o.document_id, o.block_index, o.attempt_count, o.text)
            for o in self.packs.overlays(run_id)
            if o.status is OverlayStatus.CLAIMED and o.claimed_by == owner
        ]

    async def reserve_budget(self, run_id: UUID, amount: Decimal) -> bool:
        return await self.packs.reserve_budget(run_id, amount)

    async def set_reserved(self, request_id: UUID, amount: Decimal) -> None:
        r = self.requests[request_id]
        r.row = BatchRequestRow(r.row.id, r.row.run_id, r.row.pack_id, r.row.split_depth, amount)

    async def requeue(self, requests: list[BatchRequestRow]) -> None:
        for given in requests:
            r = self.requests[given.id]
            if r.state != "submitted":
                continue
            if r.row.reserved_usd is not None:
                run = self.packs.runs[r.row.run_id]
                run.reserved_usd = max(run.reserved_usd - r.row.reserved_usd, Decimal(0))
            r.state, r.batch_id = "queued", None
            r.row = BatchRequestRow(r.row.id, r.row.run_id, r.row.pack_id, r.row.split_depth)

    async def drop(self, request_id: UUID) -> None:
        self.requests[request_id].state = "dropped"

    async def mark_submitted(
        self, batch_id: UUID, *, provider_batch_id: str, poll_after_seconds: float
    ) -> None:
        batch = self.batches[batch_id]
        batch.state, batch.provider_batch_id = "in_progress", provider_batch_id

    async def take_due(self, *, worker_id: str, lease_seconds: float) -> BatchTicket | None:
        for batch_id, batch in self.batches.items():
            if batch.state == "in_progress" or (batch.state == "submitting" and batch.lease_lost):
                return self._ticket(batch_id)
        return None

    async def mark_cancel_requested(self, batch_id: UUID) -> None:
        self.batches[batch_id].cancel_requested = True

    async def reschedule(self, batch_id: UUID, *, poll_after_seconds: float) -> None:
        return None

    async def settle_result(
        self, request_id: UUID, settlement: Settlement, *, requeue: PackReady | None
    ) -> int | None:
        r = self.requests[request_id]
        if r.state != "submitted":
            return None
        settled = await self.packs.settle(settlement)
        if requeue is not None and settled:
            self.packs.emitted.append(requeue)
        r.state = "settled"
        return settled

    async def end_batch(self, batch_id: UUID) -> None:
        self.batches[batch_id].state = "ended"

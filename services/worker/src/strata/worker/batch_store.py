"""What deferred runs read and write, as a protocol over plain values: `pg_batch_store`
implements it on Postgres; unit tests use an in-memory fake.

A pack of a deferred run becomes a *request* (queued → submitted → settled, or dropped when its
claims were released before it went out); requests of one run are gathered into a *batch*
(submitting → in_progress → ended) that one worker at a time holds a lease on while it submits
or polls it. All of it is in the database, so any worker picks up where a dead one stopped."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from strata.contracts.messages import PackReady
from strata.worker.outcomes import ClaimedBlock
from strata.worker.store import Settlement

# A deferred pack's claims outlive any batch (24 hours at most, plus gathering and polling):
# the ordinary lease reaper never takes them back while their batch can still answer.
BATCH_CLAIM_SECONDS = 26 * 3600


def batch_worker_id(request_id: UUID) -> str:
    """Who holds a deferred pack's claims: its request, so only that request's result (or a
    cancel) can settle or release them."""
    return f"batch:{request_id}"


@dataclass(frozen=True)
class BatchRequestRow:
    id: UUID
    run_id: UUID
    pack_id: UUID
    split_depth: int
    reserved_usd: Decimal | None = None

    @property
    def custom_id(self) -> str:
        return str(self.pack_id)


@dataclass(frozen=True)
class BatchTicket:
    """A batch whose lease this worker holds, with its requests still awaiting a result."""

    id: UUID
    run_id: UUID
    account_id: UUID
    state: str  # submitting | in_progress
    provider_batch_id: str | None
    run_live: bool  # False once the run was cancelled (or deleted): cancel at the provider
    cancel_requested: bool
    requests: list[BatchRequestRow] = field(default_factory=list)


class BatchStore(Protocol):
    async def queue_pack(self, pack: PackReady, *, request_id: UUID, claim_seconds: int) -> int:
        """Claim the pack's pending overlays for a new request and queue it, in one
        transaction; the number of blocks claimed (0: nothing to do, no request)."""

    async def take_queued(
        self, *, worker_id: str, lease_seconds: float, gather_seconds: float, limit: int
    ) -> BatchTicket | None:
        """One live run's queued requests (the oldest waited at least `gather_seconds`), up to
        `limit`, made into a new batch ('submitting') leased to `worker_id`."""

    async def drop_dead_queued(self) -> int:
        """Queued requests of runs that are no longer live are dropped (their claims were
        released by the cancel); how many."""

    async def claimed_blocks(self, request_id: UUID) -> list[ClaimedBlock]:
        """The blocks still claimed by the request, in prompt order."""

    async def reserve_budget(self, run_id: UUID, amount: Decimal) -> bool: ...

    async def set_reserved(self, request_id: UUID, amount: Decimal) -> None: ...

    async def requeue(self, requests: list[BatchRequestRow]) -> None:
        """Back to the queue (out of their batch), releasing their budget reservations."""

    async def drop(self, request_id: UUID) -> None: ...

    async def mark_submitted(
        self, batch_id: UUID, *, provider_batch_id: str, poll_after_seconds: float
    ) -> None:
        """The provider has the batch: 'in_progress', first poll later, lease released."""

    async def take_due(self, *, worker_id: str, lease_seconds: float) -> BatchTicket | None:
        """A batch due for a poll (or a 'submitting' one whose submitter's lease ran out),
        leased to `worker_id`."""

    async def mark_cancel_requested(self, batch_id: UUID) -> None: ...

    async def reschedule(self, batch_id: UUID, *, poll_after_seconds: float) -> None:
        """Poll again later; lease released."""

    async def settle_result(
        self, request_id: UUID, settlement: Settlement, *, requeue: PackReady | None
    ) -> int | None:
        """One request's outcome in one transaction: the settle a realtime call makes, the
        pack offered again when `requeue` is given, the request marked settled. None when the
        request was already settled (a second poller, a repeat after a crash)."""

    async def end_batch(self, batch_id: UUID) -> None: ...

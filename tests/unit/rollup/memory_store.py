"""An in-memory `RollupStore` for unit tests: overlays as plain rows, committed messages in a
list. Where Postgres decides (counters, status, the fate of a reaped claim) it follows the rules
of `queries.sql` in their simplest form; the SQL itself is tested against Postgres in
tests/integration/lifecycle/test_rollup_lifecycle.py. What only the SQL derives from time
(`status_reason`, a stalled run) is set by the test instead of re-implemented here."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from strata.contracts.messages import Message, RunCounters
from strata.contracts.routing import Route
from strata.contracts.runs import RunStatus
from strata.rollup.store import DeadLetter, Emissions, ReapedClaim, RunRecount

# Pending blocks that wait on purpose are never offered again by the stall check.
WAITING_CODES = frozenset({"no_api_key", "invalid_api_key", "budget_exhausted", "cancelled"})


@dataclass
class Overlay:
    status: str = "pending"
    pack_id: UUID | None = None
    attempt_count: int = 0
    last_error_code: str | None = None
    lease_expired: bool = False


@dataclass
class Run:
    status: RunStatus = RunStatus.PENDING
    status_reason: str | None = None
    max_attempts: int = 3
    overlays: list[Overlay] = field(default_factory=list)
    # What the SQL would derive for status_reason at the next recount (None: leave it).
    derives_reason: str | None = None
    # Nothing claimed or touched for two leases (the SQL reads it from timestamps).
    stalled: bool = False
    account_id: UUID = field(default_factory=uuid4)
    project_id: UUID = field(default_factory=uuid4)
    event_seq: int = 0


class MemoryRollupStore:
    def __init__(self) -> None:
        self.runs: dict[UUID, Run] = {}
        self.emitted: list[Message] = []
        self.dead_letters: list[DeadLetter] = []

    def add_run(self, **fields: object) -> UUID:
        run_id = uuid4()
        self.runs[run_id] = Run(**fields)  # type: ignore[arg-type]
        return run_id

    def emitted_routes(self) -> list[Route]:
        return [message.route for message in self.emitted]

    def sent(self, route: Route) -> list[Any]:
        return [message for message in self.emitted if message.route == route]

    def _commit(self, emissions: Emissions) -> None:
        self.emitted.extend(emissions)

    async def recount(
        self, run_id: UUID, *, messages: Callable[[RunRecount], Emissions]
    ) -> RunRecount | None:
        run = self.runs.get(run_id)
        if run is None:
            return None
        statuses = [o.status for o in run.overlays]
        counters = RunCounters(
            total_blocks=len(statuses),
            completed_blocks=statuses.count("ai_complete"),
            failed_blocks=statuses.count("failed"),
            pending_blocks=statuses.count("pending"),
            claimed_blocks=statuses.count("claimed"),
        )
        status = run.status
        if status in (RunStatus.PENDING, RunStatus.RUNNING):
            busy = counters.pending_blocks + counters.claimed_blocks
            status = RunStatus.RUNNING if busy else RunStatus.COMPLETE
        recount = RunRecount(
            run_id=run_id,
            counters=counters,
            status=status,
            status_reason=run.derives_reason or run.status_reason,
            previous_status=run.status,
            previous_reason=run.status_reason,
            account_id=run.account_id,
            project_id=run.project_id,
            sequence=run.event_seq + 2,
        )
        emissions = messages(recount)  # raising here leaves the run as it was (a rollback)
        run.status, run.status_reason = recount.status, recount.status_reason
        run.event_seq = recount.sequence
        self._commit(emissions)
        return recount

    async def reap_expired_claims(
        self, *, limit: int, messages: Callable[[list[ReapedClaim]], Emissions]
    ) -> list[ReapedClaim]:
        expired = [
            (run_id, overlay)
            for run_id, run in self.runs.items()
            if run.status in (RunStatus.PLANNING, RunStatus.PENDING, RunStatus.RUNNING)
            for overlay in run.overlays
            if overlay.status == "claimed" and overlay.lease_expired
        ][:limit]

        def fate(run_id: UUID, overlay: Overlay) -> str:
            last = overlay.attempt_count + 1 >= self.runs[run_id].max_attempts
            return "failed" if last else "pending"

        reaped = [ReapedClaim(r, o.pack_id, fate(r, o)) for r, o in expired]  # type: ignore[arg-type]
        emissions = messages(reaped)
        for (_, overlay), claim in zip(expired, reaped, strict=True):
            overlay.status, overlay.lease_expired = claim.status, False
            overlay.attempt_count += 1
            overlay.last_error_code = "lease_expired"
        self._commit(emissions)
        return reaped

    async def touch_stalled_pending(
        self, run_id: UUID, *, messages: Callable[[list[UUID | None]], Emissions]
    ) -> list[UUID | None]:
        run = self.runs[run_id]
        if not run.stalled or run.status is not RunStatus.RUNNING:
            return []
        packs = [
            o.pack_id
            for o in run.overlays
            if o.status == "pending" and o.last_error_code not in WAITING_CODES
        ]
        emissions = messages(packs)
        run.stalled = False  # touched: not stalled again for two more leases
        self._commit(emissions)
        return packs

    async def rerequest_stalled_planning(
        self, run_id: UUID, *, messages: Callable[[UUID], Emissions]
    ) -> bool:
        run = self.runs[run_id]
        if not run.stalled or run.status is not RunStatus.PLANNING:
            return False
        emissions = messages(run_id)
        run.stalled = False  # touched: not re-requested for two more leases
        self._commit(emissions)
        return True

    async def active_runs(self, *, limit: int) -> list[UUID]:
        active = (RunStatus.PLANNING, RunStatus.PENDING, RunStatus.RUNNING)
        return [run_id for run_id, run in self.runs.items() if run.status in active][:limit]

    async def save_dead_letter(self, letter: DeadLetter) -> None:
        if letter.message_id is not None and any(
            (d.message_id, d.queue) == (letter.message_id, letter.queue) for d in self.dead_letters
        ):
            return
        self.dead_letters.append(letter)

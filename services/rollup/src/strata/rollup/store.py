"""Runs, overlay leases and dead letters in Postgres: everything the rollup reads or writes.

Each write that causes messages takes a `messages` function: the store calls it with what it
found, inside the transaction, and emits what it returns through the outbox. So the rollup
decides what to announce (run.completed once, which packs to offer again) while the store keeps
each change and its messages atomic (invariant 6). The SQL decides what only SQL can decide
cheaply: counters (from the run's tallies, or COUNT(*) when the run may complete), status and
status_reason, and a reaped claim's fate at max_attempts."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID, uuid4

from strata.contracts.messages import Message, RunCounters
from strata.contracts.runs import RunStatus
from strata.contracts.stages import Stage
from strata.rollup.stages import StageFacts, rate_and_eta, todo_list
from strata.runtime.db import Queries
from strata.runtime.outbox import Outbox

QUERIES = Queries.load(Path(__file__).with_name("queries.sql"))
logger = logging.getLogger(__name__)

# What `run_tallies` counts, in `repair_tallies`' order; what `recompute_run` takes after $1.
_TALLIED = (
    "total", "pending", "claimed", "completed", "failed", "reviewed",
    "confirmed", "edited", "rejected", "flagged",
)  # fmt: skip
_RECOMPUTE_ARGS = (
    "total", "completed", "failed", "pending", "claimed", "no_key", "bad_key", "no_budget",
)  # fmt: skip

# What a write emits in its own transaction (each message knows its route).
Emissions = Sequence[Message]


@dataclass(frozen=True)
class RunRecount:
    """A run's exact counters and the status they imply, next to what the run said before."""

    run_id: UUID
    counters: RunCounters
    status: RunStatus
    status_reason: str | None
    previous_status: RunStatus
    previous_reason: str | None
    account_id: UUID | None = None
    project_id: UUID | None = None
    # The higher of the two event sequence numbers this recount took (see RunEvent.sequence).
    sequence: int = 0
    # The todo list after and before this recount, and the figures run.progress carries.
    stages: list[Stage] = field(default_factory=list)
    previous_stages: list[Stage] = field(default_factory=list)
    cost_usd: Decimal | None = None
    blocks_per_second: float | None = None
    eta_s: float | None = None

    @property
    def completes_the_run(self) -> bool:
        """Only the recount that moves the run into `complete`: a later one finds it there."""
        return self.status is RunStatus.COMPLETE and self.previous_status is not RunStatus.COMPLETE


@dataclass(frozen=True)
class ReapedClaim:
    """One overlay whose lease ran out: back to `pending`, or `failed` at max_attempts."""

    run_id: UUID
    pack_id: UUID  # a claim is always of a pack (a cancel releases claims and packs together)
    status: str


@dataclass(frozen=True)
class DeadLetter:
    message_id: str | None
    queue: str | None
    routing_key: str
    error_code: str
    error: str
    payload: Any
    headers: dict[str, Any]


class RollupStore(Protocol):
    async def recount(
        self, run_id: UUID, *, messages: Callable[[RunRecount], Emissions]
    ) -> RunRecount | None:
        """Under the run's lock, recompute counters and status; None for an unknown run."""
        ...

    async def reap_expired_claims(
        self, *, limit: int, messages: Callable[[list[ReapedClaim]], Emissions]
    ) -> list[ReapedClaim]: ...

    async def touch_stalled_pending(
        self, run_id: UUID, *, messages: Callable[[list[UUID | None]], Emissions]
    ) -> list[UUID | None]:
        """The pack of each pending block of a stalled run (None: unplanned), touched so it is
        not offered again for two more leases; empty when the run is not stalled."""
        ...

    async def rerequest_stalled_planning(
        self, run_id: UUID, *, messages: Callable[[UUID], Emissions]
    ) -> bool:
        """Whether the run was `planning` with no step for two leases (then touched, and
        `messages` emitted), so planning whose messages were lost goes on."""
        ...

    async def active_runs(self, *, limit: int) -> list[UUID]: ...

    async def save_dead_letter(self, letter: DeadLetter) -> None:
        """Store a copy; a second copy of the same message from the same queue is ignored."""
        ...


class PgRollupStore:
    def __init__(self, *, outbox: Outbox, queries: Queries = QUERIES) -> None:
        self._outbox = outbox
        self._q = queries

    async def recount(
        self, run_id: UUID, *, messages: Callable[[RunRecount], Emissions]
    ) -> RunRecount | None:
        async with self._outbox.transaction() as uow:
            status = await uow.conn.fetchval(self._q.lock_run, run_id)
            if status is None:
                return None
            counts = await self._counts(uow.conn, run_id, status)
            row = await uow.conn.fetchrow(
                self._q.recompute_run,
                run_id,
                *(counts.get(k, 0) for k in _RECOMPUTE_ARGS),
            )
            counters = RunCounters(
                total_blocks=row["total"],
                completed_blocks=row["completed"],
                failed_blocks=row["failed"],
                pending_blocks=row["pending"],
                claimed_blocks=row["claimed"],
            )
            facts = await uow.conn.fetchrow(self._q.run_stage_facts, run_id)
            previous = [Stage.model_validate(s) for s in facts["stages"] or []]
            now = datetime.now(UTC)
            stages = todo_list(
                facts=_stage_facts(facts, counts), counters=counters, previous=previous, now=now
            )
            await uow.conn.execute(
                self._q.save_stages, run_id, [s.model_dump(mode="json") for s in stages]
            )
            rate, eta = rate_and_eta(
                counters=counters, first_call_at=facts["first_call_at"], now=now
            )
            recount = RunRecount(
                run_id=run_id,
                counters=counters,
                status=RunStatus(row["status"]),
                status_reason=row["status_reason"],
                previous_status=RunStatus(row["old_status"]),
                previous_reason=row["old_reason"],
                account_id=row["account_id"],
                project_id=row["project_id"],
                sequence=row["event_seq"],
                stages=stages,
                previous_stages=previous,
                cost_usd=facts["cost_usd"],
                blocks_per_second=rate,
                eta_s=eta,
            )
            for message in messages(recount):
                uow.emit(message)
        return recount

    async def _counts(self, conn: Any, run_id: UUID, status: str) -> dict[str, Any]:
        """The run's counts: from its tallies while work is in flight (a few rows), from
        COUNT(*) over its overlays when it may complete or has nothing claimed (then why its
        pending blocks wait matters), and checked against the tallies then."""
        tally = dict(await conn.fetchrow(self._q.tallied_counts, run_id))
        if status not in ("pending", "running") or tally["claimed"] > 0:
            unpacked = await conn.fetchval(self._q.unpacked_count, run_id)
            return {**tally, "planned_blocks": tally["total"] - unpacked, "packs": None}
        full = dict(await conn.fetchrow(self._q.count_overlays, run_id))
        # Compared only on a quiet run: while blocks are pending, a claim may commit between
        # the two reads (each statement sees its own snapshot), and nothing is wrong.
        quiet = full["pending"] + full["claimed"] == 0
        if quiet and any(full[k] != tally[k] for k in _TALLIED):
            logger.error(
                "run %s: tallies %s disagree with COUNT(*) %s; COUNT(*) wins",
                run_id,
                {k: tally[k] for k in _TALLIED},
                {k: full[k] for k in _TALLIED},
            )
            await conn.execute(self._q.drop_tallies, run_id)
            await conn.execute(self._q.repair_tallies, run_id, *(full[k] for k in _TALLIED))
        return full

    async def reap_expired_claims(
        self, *, limit: int, messages: Callable[[list[ReapedClaim]], Emissions]
    ) -> list[ReapedClaim]:
        async with self._outbox.transaction() as uow:
            rows = await uow.conn.fetch(self._q.reap_expired_claims, limit)
            reaped = [ReapedClaim(r["run_id"], r["pack_id"], r["status"]) for r in rows]
            for message in messages(reaped):
                uow.emit(message)
        return reaped

    async def touch_stalled_pending(
        self, run_id: UUID, *, messages: Callable[[list[UUID | None]], Emissions]
    ) -> list[UUID | None]:
        async with self._outbox.transaction() as uow:
            rows = await uow.conn.fetch(self._q.reoffer_stalled_run, run_id)
            packs = [r["pack_id"] for r in rows]
            for message in messages(packs):
                uow.emit(message)
        return packs

    async def rerequest_stalled_planning(
        self, run_id: UUID, *, messages: Callable[[UUID], Emissions]
    ) -> bool:
        async with self._outbox.transaction() as uow:
            if await uow.conn.fetchval(self._q.rerequest_stalled_planning, run_id) is None:
                return False
            for message in messages(run_id):
                uow.emit(message)
        return True

    async def active_runs(self, *, limit: int) -> list[UUID]:
        async with self._outbox.pool.acquire() as conn:
            return [r["id"] for r in await conn.fetch(self._q.active_runs, limit)]

    async def save_dead_letter(self, letter: DeadLetter) -> None:
        await self._outbox.pool.execute(
            self._q.insert_dead_letter,
            uuid4(),
            letter.message_id,
            letter.queue,
            letter.routing_key,
            letter.error_code,
            letter.error,
            letter.payload,
            letter.headers,
        )


def _stage_facts(row: Any, counts: dict[str, Any]) -> StageFacts:
    return StageFacts(
        run_status=RunStatus(row["status"]),
        created_at=row["created_at"],
        completed_at=row["completed_at"],
        documents=row["documents"],
        converted=row["converted"],
        conversion_failed=row["conversion_failed"],
        documents_from=row["documents_from"],
        documents_until=row["documents_until"],
        planned_blocks=counts["planned_blocks"],
        packs=counts["packs"],
        first_call_at=row["first_call_at"],
        cost_usd=row["cost_usd"],
        reviewed=counts["reviewed"],
        exports=row["exports"],
        exports_ready=row["exports_ready"],
        exports_failed=row["exports_failed"],
        first_export_at=row["first_export_at"],
        last_export_at=row["last_export_at"],
        planned_at=row["planned_at"],
    )

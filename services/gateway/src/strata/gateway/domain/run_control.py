"""Cancel, resume and retry-failed (the lifecycle writes a person makes to a run).

Each action is one outbox transaction under a lock on the run row: the run's status, its
overlays and the messages that follow (`run.cancelled`, `pack.ready`, `run.created`,
`overlays.settled`) commit together or not at all. Counters are never touched here: every action
emits `overlays.settled`, and the rollup recomputes them from the overlays.

    planning|pending|running --cancel--> cancelled --resume--> running
                                                      (planning, if it was cancelled before
                                                       its planning ended)
    complete --retry-failed--> running          (only failed overlays go back to pending)

A run's budget can be raised (`raise_budget`): the cap lives in `run_budgets`, which every
reservation reads, not in the frozen policy, so a run stopped by `budget_exhausted` continues on
resume with the new cap.
"""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from asyncpg import Record

from strata.contracts.messages import PackReady, PlanRequested, RecountRequested, RunCancelled
from strata.contracts.runs import RunStatus
from strata.gateway.sql import Q
from strata.gateway.web.errors import ApiError, not_found
from strata.runtime.outbox import Outbox, UnitOfWork

CANCELLED_BY_USER = "cancelled_by_user"


@dataclass(frozen=True)
class ActionResult:
    overlays_changed: int = 0
    packs_offered: int = 0
    replanned: bool = False


async def _locked_run(uow: UnitOfWork, run_id: UUID, account_id: UUID) -> Record:
    row = await uow.conn.fetchrow(Q.lock_run, run_id, account_id)
    if row is None:
        raise not_found("run")
    return row


async def _locked_status(uow: UnitOfWork, run_id: UUID, account_id: UUID) -> RunStatus:
    return RunStatus((await _locked_run(uow, run_id, account_id))["status"])


def _conflict(code: str, message: str) -> ApiError:
    return ApiError(409, code, message)


async def cancel_run(outbox: Outbox, *, run_id: UUID, account_id: UUID) -> ActionResult:
    """Stops new claims at once (the worker claims only for pending/running runs) and releases
    every pending or claimed overlay to pending with last_error_code `cancelled`. Cancelling a
    cancelled run changes nothing."""
    async with outbox.transaction() as uow:
        run = await _locked_run(uow, run_id, account_id)
        status = RunStatus(run["status"])
        if status is RunStatus.CANCELLED:
            return ActionResult()
        if status is RunStatus.COMPLETE:
            raise _conflict("run_complete", "the run is complete; there is nothing to cancel")
        await uow.conn.execute(
            Q.set_run_status, run_id, RunStatus.CANCELLED.value, CANCELLED_BY_USER
        )
        released = await uow.conn.fetchval(Q.release_for_cancel, run_id)
        uow.emit(
            RunCancelled(
                run_id=run_id,
                account_id=account_id,
                project_id=run["project_id"],
                sequence=await uow.conn.fetchval(Q.next_event_seq, run_id),
            )
        )
        uow.emit(RecountRequested(run_id=run_id, released=released))
    return ActionResult(overlays_changed=released)


async def _offer_pending(uow: UnitOfWork, run_id: UUID, *, planning: bool) -> ActionResult:
    """pack.ready for each pack still holding pending overlays, run.plan-requested when some
    pending overlays are in no pack or the run's planning goes on. A pack offered twice is
    harmless: claims take only pending rows."""
    packs = await uow.conn.fetch(Q.pending_packs, run_id)
    for row in packs:
        uow.emit(
            PackReady(run_id=run_id, pack_id=row["pack_id"], block_count=row["block_count"]),
        )
    replan = planning or bool(await uow.conn.fetchval(Q.has_unplanned, run_id))
    if replan:
        uow.emit(PlanRequested(run_id=run_id))
    uow.emit(RecountRequested(run_id=run_id))
    return ActionResult(packs_offered=len(packs), replanned=replan)


async def resume_run(outbox: Outbox, *, run_id: UUID, account_id: UUID) -> ActionResult:
    """A cancelled run runs again; a run waiting for a key (or stalled for any reason) has its
    pending work offered again. A complete run answers 409 (see retry-failed)."""
    async with outbox.transaction() as uow:
        run = await _locked_run(uow, run_id, account_id)
        status = RunStatus(run["status"])
        if status is RunStatus.COMPLETE:
            raise _conflict(
                "run_complete", "the run is complete; use retry-failed to redo its failed blocks"
            )
        next_status = status
        if status is RunStatus.CANCELLED:
            # A run cancelled while planning plans the rest of its blocks first.
            next_status = RunStatus.RUNNING if run["planned"] else RunStatus.PLANNING
        await uow.conn.execute(Q.set_run_status, run_id, next_status.value, None)
        await uow.conn.execute(Q.clear_wait_reasons, run_id)
        return await _offer_pending(
            uow, run_id, planning=next_status is RunStatus.PLANNING
        )


async def retry_failed(outbox: Outbox, *, run_id: UUID, account_id: UUID) -> ActionResult:
    """Only failed overlays go back to pending (attempts reset, unpacked); the worker plans them
    into new packs on `run.created`; a complete run is running again."""
    async with outbox.transaction() as uow:
        status = await _locked_status(uow, run_id, account_id)
        if status is RunStatus.CANCELLED:
            raise _conflict("run_cancelled", "the run is cancelled; resume it first")
        retried = await uow.conn.fetchval(Q.retry_failed_overlays, run_id)
        if retried == 0:
            raise _conflict(
                "no_failed_blocks", "the run has no unreviewed failed blocks to retry"
            )
        # A run still planning stays so: the planner packs the retried blocks, then goes on.
        if status is not RunStatus.PLANNING:
            await uow.conn.execute(Q.set_run_status, run_id, RunStatus.RUNNING.value, None)
        uow.emit(PlanRequested(run_id=run_id))
        uow.emit(RecountRequested(run_id=run_id))
    return ActionResult(overlays_changed=retried, replanned=True)


async def raise_budget(
    outbox: Outbox, *, run_id: UUID, account_id: UUID, budget_usd: Decimal
) -> None:
    """Set a run's cap, never below what it has spent plus what calls in flight reserved (the
    ledger would then be over its cap). The run is not resumed: resume does that."""
    async with outbox.transaction() as uow:
        await _locked_status(uow, run_id, account_id)
        ledger = await uow.conn.fetchrow(Q.lock_run_budget, run_id)
        if ledger is None:
            raise _conflict("no_budget", "the run was created without a budget: it has no cap")
        floor = ledger["spent_usd"] + ledger["reserved_usd"]
        if budget_usd < floor:
            raise _conflict(
                "budget_too_low",
                f"the run has spent or reserved {floor.normalize():f} USD; the budget cannot be"
                " lower",
            )
        await uow.conn.execute(Q.set_run_budget, run_id, budget_usd)

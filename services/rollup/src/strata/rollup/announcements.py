"""What the rollup emits for what the store found (pure, so its rules are tested without I/O).

The store calls these inside the transaction that made the change, so a message goes out if
and only if its change committed."""

from collections import Counter
from uuid import UUID

from strata.contracts.messages import (
    Message,
    PackReady,
    PlanRequested,
    RecountRequested,
    RunCompleted,
    RunProgress,
    RunStagesChanged,
)
from strata.contracts.runs import RunStatus
from strata.rollup.stages import changed
from strata.rollup.store import ReapedClaim, RunRecount


def progress_of(recount: RunRecount) -> RunProgress:
    return RunProgress(
        run_id=recount.run_id,
        status=recount.status,
        counters=recount.counters,
        status_reason=recount.status_reason,
        account_id=recount.account_id,
        project_id=recount.project_id,
        sequence=recount.sequence - 1,
        cost_usd=recount.cost_usd,
        blocks_per_second=recount.blocks_per_second,
        eta_s=recount.eta_s,
        stages=recount.stages or None,
    )


def recount_messages(recount: RunRecount) -> list[Message]:
    """Progress on every recount of a run that can still move, then `run.completed` exactly
    once: only the recount that moves the run into `complete` announces it, after its last
    progress (emitted first, with the lower sequence). A recount that finds the run complete
    already (a late settle, a redelivery) announces nothing: a progress after `run.completed`
    would tell a consumer the run moved when it cannot have."""
    if recount.status is RunStatus.COMPLETE and recount.previous_status is RunStatus.COMPLETE:
        return []
    emissions: list[Message] = [progress_of(recount)]
    if recount.stages and changed(recount.previous_stages, recount.stages):
        emissions.append(RunStagesChanged(run_id=recount.run_id, stages=recount.stages))
    if recount.completes_the_run:
        completed = RunCompleted(
            run_id=recount.run_id,
            status=recount.status,
            counters=recount.counters,
            account_id=recount.account_id,
            project_id=recount.project_id,
            sequence=recount.sequence,
        )
        emissions.append(completed)
    return emissions


def reap_messages(reaped: list[ReapedClaim]) -> list[Message]:
    """Offer each pack again with the blocks that went back to `pending` (a block failed at
    max_attempts is not offered), and have every touched run recounted."""
    offered = Counter((c.run_id, c.pack_id) for c in reaped if c.status == "pending")
    emissions: list[Message] = []
    for (run_id, pack_id), count in offered.items():
        pack = PackReady(run_id=run_id, pack_id=pack_id, block_count=count)
        emissions.append(pack)
    for run_id in dict.fromkeys(c.run_id for c in reaped):  # each run once, in order
        emissions.append(RecountRequested(run_id=run_id))
    return emissions


def reoffer_messages(run_id: UUID, packs: list[UUID | None]) -> list[Message]:
    """One `pack.ready` per pack with its count of pending blocks; blocks without a pack are
    planned again through `run.plan-requested`."""
    emissions: list[Message] = []
    for pack_id, count in Counter(packs).items():
        if pack_id is None:
            emissions.append(PlanRequested(run_id=run_id))
        else:
            pack = PackReady(run_id=run_id, pack_id=pack_id, block_count=count)
            emissions.append(pack)
    return emissions


def planning_messages(run_id: UUID) -> list[Message]:
    """A `planning` run that stopped moving is asked to plan again (one step resumes it)."""
    return [PlanRequested(run_id=run_id)]

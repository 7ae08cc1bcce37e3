"""What the rollup emits for what the store found (pure, so its rules are tested without I/O).

The store calls these inside the transaction that made the change, so a message goes out if
and only if its change committed."""

from collections import Counter
from uuid import UUID

from strata.contracts import routing
from strata.contracts.messages import (
    Message,
    OverlaysSettled,
    PackReady,
    RunCompleted,
    RunCreated,
    RunProgress,
)
from strata.rollup.store import ReapedClaim, RunRecount


def progress_of(recount: RunRecount) -> RunProgress:
    return RunProgress(
        run_id=recount.run_id,
        status=recount.status,
        counters=recount.counters,
        status_reason=recount.status_reason,
    )


def recount_messages(recount: RunRecount) -> list[tuple[str, Message]]:
    """Progress on every recount; `run.completed` exactly once: only the recount that moves the
    run into `complete` announces it (a redelivered settle finds it complete already)."""
    emissions: list[tuple[str, Message]] = [(routing.RUN_PROGRESS, progress_of(recount))]
    if recount.completes_the_run:
        completed = RunCompleted(
            run_id=recount.run_id, status=recount.status, counters=recount.counters
        )
        emissions.append((routing.RUN_COMPLETED, completed))
    return emissions


def reap_messages(reaped: list[ReapedClaim]) -> list[tuple[str, Message]]:
    """Offer each pack again with the blocks that went back to `pending` (a block failed at
    max_attempts is not offered), and have every touched run recounted."""
    offered = Counter((c.run_id, c.pack_id) for c in reaped if c.status == "pending")
    emissions: list[tuple[str, Message]] = []
    for (run_id, pack_id), count in offered.items():
        pack = PackReady(run_id=run_id, pack_id=pack_id, block_count=count)
        emissions.append((routing.PACK_READY.routing_key, pack))
    for run_id in dict.fromkeys(c.run_id for c in reaped):  # each run once, in order
        emissions.append((routing.OVERLAYS_SETTLED.routing_key, OverlaysSettled(run_id=run_id)))
    return emissions


def reoffer_messages(run_id: UUID, packs: list[UUID | None]) -> list[tuple[str, Message]]:
    """One `pack.ready` per pack with its count of pending blocks; blocks without a pack are
    planned again through `run.created`."""
    emissions: list[tuple[str, Message]] = []
    for pack_id, count in Counter(packs).items():
        if pack_id is None:
            emissions.append((routing.RUN_CREATED.routing_key, RunCreated(run_id=run_id)))
        else:
            pack = PackReady(run_id=run_id, pack_id=pack_id, block_count=count)
            emissions.append((routing.PACK_READY.routing_key, pack))
    return emissions

"""run.plan-requested → packs, one bounded chunk per message.

A new run is answered at once in `planning`; its overlays are written here, each born in its
pack, `WORKER_PLAN_CHUNK_BLOCKS` at a time. Each chunk commits with its packs' pack.ready (so packs
flow before planning ends) and with the next run.plan-requested, so no process ever holds more
than one chunk and a crash loses nothing: the next delivery resumes after the run's last
overlay, which is the cursor. Every step runs under a lock on the run row, so a redelivered or
duplicated message waits, then plans the next chunk or finds nothing to do: no block gets two
overlays. A cancelled run stops planning at the next step; resume continues it.

Pending overlays in no pack (after a cancel or a retry-failed) are planned first, the same way.
A chunk of fresh blocks holds back its last pack unless it is the run's end, so the packs are
exactly those one pass over every block would make (and that the dry run prices)."""

import logging
from collections.abc import Callable
from dataclasses import replace

from strata.contracts.messages import PlanRequested
from strata.contracts.runs import RunStatus
from strata.planning.assignment import PackAssignment, assign_packs
from strata.planning.planner import PlannedBlock
from strata.worker.context import RunContexts
from strata.worker.store import PackStore, PlanningChunk, PlanningWrite

logger = logging.getLogger(__name__)

# Ordered blocks → packs, with the run's policy and prompt.
PackPlan = Callable[[list[PlannedBlock]], PackAssignment]

# Blocks planned per step (WORKER_PLAN_CHUNK_BLOCKS): one transaction, bounded memory.
PLAN_CHUNK_BLOCKS = 5000


def without_last_pack(packs: PackAssignment) -> PackAssignment:
    """The assignment less its last pack (whose blocks the next chunk plans again)."""
    last = packs.messages[-1]
    keep = len(packs.pack_ids) - last.block_count
    return replace(
        packs,
        document_ids=packs.document_ids[:keep],
        block_indexes=packs.block_indexes[:keep],
        pack_ids=packs.pack_ids[:keep],
        messages=packs.messages[:-1],
    )


def planning_step(
    chunk: PlanningChunk, *, limit: int, plan: PackPlan
) -> PlanningWrite | None:
    """What to write for what one step found (pure)."""
    planning = chunk.status == RunStatus.PLANNING
    if chunk.unpacked:
        more = len(chunk.unpacked) > limit or planning  # then fresh blocks, if planning
        return PlanningWrite(plan(chunk.unpacked[:limit]), fresh=False, more=more, finished=False)
    if not planning:
        return None
    more = len(chunk.fresh) > limit
    packs = plan(chunk.fresh[:limit])
    if more and len(packs.messages) > 1:
        packs = without_last_pack(packs)
    return PlanningWrite(packs, fresh=True, more=more, finished=not more)


class RunPlanner:
    def __init__(
        self, *, store: PackStore, contexts: RunContexts, chunk_blocks: int = PLAN_CHUNK_BLOCKS
    ) -> None:
        self._store = store
        self._contexts = contexts
        self._chunk_blocks = chunk_blocks

    async def plan(self, msg: PlanRequested) -> int:
        """One planning step of the run; returns the number of packs it wrote."""
        # A run's inputs never change, so they are read (or found cached) before the lock.
        context = await self._contexts.get(msg.run_id)
        if context is None:
            return 0

        def plan(blocks: list[PlannedBlock]) -> PackAssignment:
            return assign_packs(
                blocks,
                run_id=msg.run_id,
                policy=context.policy,
                fixed_prompt_tokens=context.system_tokens,
            )

        limit = self._chunk_blocks
        written = await self._store.plan_step(
            msg.run_id, lambda chunk: planning_step(chunk, limit=limit, plan=plan), limit=limit
        )
        if written is None:
            return 0
        logger.info(
            "run %s: %d blocks planned into %d packs%s",
            msg.run_id,
            len(written.packs.pack_ids),
            len(written.packs.messages),
            " (planning done)" if written.finished else " (more to plan)" if written.more else "",
        )
        return len(written.packs.messages)

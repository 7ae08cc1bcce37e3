"""run.plan-requested → packs, a few bounded chunks per message.

A new run is answered at once in `planning`; its overlays are written here, each born in its
pack, `WORKER_PLAN_CHUNK_BLOCKS` at a time. Each chunk commits with its packs' pack.ready (so
packs flow before planning ends); a message plans a few chunks, the last committing the next
run.plan-requested, so no process ever holds more than one chunk and a crash loses nothing: the
unacknowledged message is redelivered and resumes after the run's last overlay (the cursor).
Every step runs under a lock on the run row, so a redelivered or duplicated message waits, then
plans the next chunk or finds nothing to do: no block gets two overlays. A cancelled run stops
planning at the next step; resume continues it.

Pending overlays in no pack (after a cancel or a retry-failed) are planned first, the same way.
A chunk of fresh blocks holds back its last pack unless it is the run's end, so the packs are
exactly those one pass over every block would make (and that the dry run prices)."""

import asyncio
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
# Steps per message: fewer round trips through the outbox and the broker, and a handler that
# still ends within seconds.
CHUNKS_PER_MESSAGE = 8


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
        self,
        *,
        store: PackStore,
        contexts: RunContexts,
        chunk_blocks: int = PLAN_CHUNK_BLOCKS,
        chunks_per_message: int = CHUNKS_PER_MESSAGE,
    ) -> None:
        self._store = store
        self._contexts = contexts
        self._chunk_blocks = chunk_blocks
        self._chunks_per_message = chunks_per_message

    async def plan(self, msg: PlanRequested) -> int:
        """Up to `chunks_per_message` planning steps of the run, each its own transaction; the
        last one commits the next run.plan-requested if work remains. Returns the packs written.
        A crash between steps leaves this message unacknowledged: its redelivery resumes."""
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

        limit, packs = self._chunk_blocks, 0
        for step in range(self._chunks_per_message):
            written = await self._store.plan_step(
                msg.run_id,
                lambda chunk: planning_step(chunk, limit=limit, plan=plan),
                limit=limit,
                request_more=step == self._chunks_per_message - 1,
            )
            if written is None:
                break
            packs += len(written.packs.messages)
            state = "done" if written.finished else "more" if written.more else "re-planned"
            logger.info(
                "run %s: %d blocks planned into %d packs (%s)",
                msg.run_id,
                len(written.packs.pack_ids),
                len(written.packs.messages),
                state,
            )
            if not written.more:
                break
            await asyncio.sleep(0)  # the packs already offered get their turn in this loop
        return packs

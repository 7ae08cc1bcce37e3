"""run.created → packs. Planning is idempotent: only overlays in no pack yet are planned, under
a lock on the run row (held by the store), so a redelivered run.created finds nothing to do."""

import logging

from strata.contracts.messages import PlanRequested
from strata.planning.assignment import PackAssignment, assign_packs
from strata.planning.planner import PlannedBlock
from strata.worker.context import RunContexts
from strata.worker.store import PackStore

logger = logging.getLogger(__name__)


class RunPlanner:
    def __init__(self, *, store: PackStore, contexts: RunContexts) -> None:
        self._store = store
        self._contexts = contexts

    async def plan(self, msg: PlanRequested) -> int:
        """Returns the number of packs planned now."""
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

        packs = await self._store.assign_unpacked(msg.run_id, plan)
        if packs is None:
            return 0
        logger.info(
            "run %s: %d blocks planned into %d packs",
            msg.run_id,
            len(packs.pack_ids),
            len(packs.messages),
        )
        return len(packs.messages)

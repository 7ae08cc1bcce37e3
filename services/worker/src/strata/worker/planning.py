"""run.created → packs. Planning is idempotent: only overlays in no pack yet are planned, under
a lock on the run row, so a redelivered run.created finds nothing left to do."""

import logging

from strata.contracts import routing
from strata.contracts.messages import RunCreated
from strata.planning.assignment import assign_packs
from strata.planning.planner import PlannedBlock
from strata.runtime.db import Queries
from strata.runtime.outbox import Outbox
from strata.worker.context import RunContexts

logger = logging.getLogger(__name__)


class RunPlanner:
    def __init__(self, *, outbox: Outbox, queries: Queries, contexts: RunContexts) -> None:
        self._outbox = outbox
        self._queries = queries
        self._contexts = contexts

    async def plan(self, msg: RunCreated) -> int:
        """Returns the number of packs planned now."""
        async with self._outbox.transaction() as uow:
            status = await uow.conn.fetchval(self._queries.lock_run, msg.run_id)
            if status not in ("pending", "running"):
                return 0
            context = await self._contexts.get(uow.conn, msg.run_id)
            rows = await uow.conn.fetch(self._queries.unplanned_blocks, msg.run_id)
            if context is None or not rows:
                return 0
            blocks = [
                PlannedBlock((r["document_id"], r["block_index"]), r["token_estimate"])
                for r in rows
            ]
            packs = assign_packs(
                blocks,
                run_id=msg.run_id,
                policy=context.policy,
                fixed_prompt_tokens=context.system_tokens,
            )
            for ready in packs.messages:
                uow.emit(routing.PACK_READY.routing_key, ready)
            await uow.conn.execute(
                self._queries.assign_packs,
                msg.run_id,
                packs.document_ids,
                packs.block_indexes,
                packs.pack_ids,
            )
        logger.info(
            "run %s: %d blocks planned into %d packs", msg.run_id, len(blocks), len(packs.messages)
        )
        return len(packs.messages)

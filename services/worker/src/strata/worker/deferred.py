"""Deferred runs on the worker's side of pack.ready: a pack of a deferred run is not called but
queued as a Message Batch request (its blocks claimed by the request, in the same transaction),
for `batch_loop` to gather into the run's next batch. Realtime packs go to the pack runner."""

import logging
from uuid import uuid4

from strata.contracts.messages import PackReady
from strata.contracts.policy import RunMode
from strata.worker import metrics
from strata.worker.batch_store import BATCH_CLAIM_SECONDS, BatchStore
from strata.worker.context import RunContexts
from strata.worker.handlers import Runner

logger = logging.getLogger(__name__)


class ModeRouter:
    """pack.ready → the pack runner (realtime) or the batch queue (deferred)."""

    def __init__(self, *, realtime: Runner, contexts: RunContexts, store: BatchStore) -> None:
        self._realtime = realtime
        self._contexts = contexts
        self._store = store

    async def run(self, msg: PackReady) -> None:
        context = await self._contexts.get(msg.run_id)
        if context is None:
            return
        if context.policy.mode is not RunMode.DEFERRED:
            await self._realtime.run(msg)
            return
        claimed = await self._store.queue_pack(
            msg, request_id=uuid4(), claim_seconds=BATCH_CLAIM_SECONDS
        )
        metrics.record_claim(claimed)
        if claimed:
            logger.debug("pack %s of run %s queued for a batch", msg.pack_id, msg.run_id)

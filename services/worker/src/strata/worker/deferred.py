"""Deferred runs on the worker's side of pack.ready: a pack of a deferred run is not called but
queued as a Message Batch request (its blocks claimed by the request, in the same transaction),
for `batch_loop` to gather into the run's next batch. Realtime packs go to the pack runner."""

import logging
from uuid import uuid4

from strata.contracts.messages import PackReady
from strata.contracts.policy import RunMode
from strata.planning.answer_format import pack_answer_schema, supports_structured_outputs
from strata.planning.prompt import PackPrompt, PromptBlock, build_prompt
from strata.worker import metrics
from strata.worker.batch_store import BATCH_CLAIM_SECONDS, BatchStore
from strata.worker.context import RunContext, RunContexts
from strata.worker.handlers import Runner
from strata.worker.outcomes import ClaimedBlock
from strata.worker.provider import ModelRequest

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


def pack_request(
    context: RunContext, blocks: list[ClaimedBlock], *, structured: bool
) -> tuple[ModelRequest, PackPrompt]:
    """The request a realtime call of these blocks would send (the same prompt, tags and answer
    format), without cache diagnostics. Pure: built again from the same claimed blocks when the
    result arrives, it gives the same tags to map the answer with."""
    policy = context.policy
    prompt = build_prompt(
        system=context.system,
        blocks=[PromptBlock(b.uid, b.text) for b in blocks],
        cache=policy.prompt_caching_enabled,
        ttl=policy.prompt_cache_ttl,
    )
    answer_format = None
    if structured and policy.structured_outputs and supports_structured_outputs(policy.model):
        answer_format = pack_answer_schema(
            context.definition,
            prompt.tags,
            sparse=policy.sparse_answers,
            row_fields=context.row_fields,
        )
    request = ModelRequest(
        policy.model,
        prompt.system,
        prompt.messages,
        policy.max_tokens,
        policy.temperature,
        output_format=answer_format,
    )
    return request, prompt

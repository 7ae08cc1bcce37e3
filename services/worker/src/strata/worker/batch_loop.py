"""Submitting and polling Message Batches, from the database, by whichever worker is free.

Each tick, a worker takes one thing at a time under a lease in Postgres: a run's queued requests
to submit as a new batch, or a submitted batch due for a poll. Nothing is remembered in memory
between ticks, so a worker that dies mid-way leaves a lease that runs out and another worker
(or itself, restarted) continues. Each result settles in its own transaction that also marks its
request settled, so a result is applied exactly once whoever polls it and however often.

A batch's worst case is reserved against the run's budget, request by request, before it is
submitted (a request that does not fit waits as `budget_exhausted`, as a realtime call would);
each result swaps its request's reservation for what it billed, at the batch tier."""

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from strata.contracts.messages import PackReady
from strata.contracts.overlays import ModelErrorCode
from strata.worker import metrics
from strata.worker.batch_provider import (
    MAX_BATCH_BYTES,
    BatchApi,
    BatchRequest,
    BatchResult,
    batch_api_for,
    params,
)
from strata.worker.batch_results import decide
from strata.worker.batch_store import BatchRequestRow, BatchStore, BatchTicket, batch_worker_id
from strata.worker.budget import worst_case_cost
from strata.worker.context import RunContext, RunContexts
from strata.worker.outcomes import (
    Decision,
    after_error,
    budget_exhausted,
    schema_failed,
    with_flags,
)
from strata.worker.provider import ModelError, ModelProvider, ProviderResolver
from strata.worker.reading import pack_request
from strata.worker.run_memory import RunMemory
from strata.worker.store import LlmCall, Settlement

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchTiming:
    poll_seconds: float = 30.0  # between two looks at one batch
    gather_seconds: float = 5.0  # a run's first queued pack waits this long for the others
    lease_seconds: float = 300.0  # one submit or poll step, results included
    max_requests: int = 10_000  # per batch (the API allows 100,000)


class BatchLoop:
    def __init__(
        self,
        *,
        store: BatchStore,
        contexts: RunContexts,
        providers: ProviderResolver,
        worker_id: str,
        timing: BatchTiming,
        batch_api: Callable[[ModelProvider], BatchApi | None] = batch_api_for,
    ) -> None:
        self._store = store
        self._batch_api = batch_api
        self._contexts = contexts
        self._providers = providers
        self._worker_id = worker_id
        self._timing = timing
        self._memory = RunMemory()  # runs whose answer schema the provider refused

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the loop must outlive a database or provider outage
                logger.exception("batch loop step failed; will try again")
            # Never a busy loop (gather 0 submits at once, yet the database is asked at most
            # five times a second when there is nothing to do).
            await asyncio.sleep(
                max(0.2, min(self._timing.poll_seconds, self._timing.gather_seconds))
            )

    async def tick(self) -> None:
        """Submit what is due, then poll what is due, until neither has anything left."""
        await self._store.drop_dead_queued()
        while await self.submit_one() or await self.poll_one():
            pass

    # --- submit -------------------------------------------------------------------------

    async def submit_one(self) -> bool:
        timing = self._timing
        ticket = await self._store.take_queued(
            worker_id=self._worker_id,
            lease_seconds=timing.lease_seconds,
            gather_seconds=timing.gather_seconds,
            limit=timing.max_requests,
        )
        if ticket is None:
            return False
        context = await self._contexts.get(ticket.run_id)
        if context is None:  # the run is gone (its rows with it)
            await self._store.end_batch(ticket.id)
            return True
        ready: list[tuple[BatchRequestRow, BatchRequest]] = []
        overflow: list[BatchRequestRow] = []
        size = 0
        for row in ticket.requests:
            blocks = await self._store.claimed_blocks(row.id)
            if not blocks:  # released by a cancel before it went out
                await self._store.drop(row.id)
                continue
            if context.schema_problem is not None:
                await self._settle(row, schema_failed(blocks, context.schema_problem), context)
                continue
            request, prompt = pack_request(
                context, blocks, structured=not self._memory.format_refused(row.run_id)
            )
            item = BatchRequest(row.custom_id, request)
            length = len(json.dumps({"custom_id": row.custom_id, "params": params(request)}))
            if ready and size + length > MAX_BATCH_BYTES - 1024:
                overflow.append(row)  # the next batch takes it
                continue
            fits, reserved = await self._reserve(context, row, prompt.body)
            if not fits:
                await self._settle(row, budget_exhausted(blocks, context.policy), context)
                continue
            size += length
            ready.append((row if reserved is None else _with(row, reserved), item))
        if overflow:
            await self._store.requeue(overflow)
        if not ready:
            await self._store.end_batch(ticket.id)
            return True
        await self._send(ticket, context, ready)
        return True

    async def _reserve(
        self, context: RunContext, row: BatchRequestRow, body: str
    ) -> tuple[bool, Decimal | None]:
        """Whether the request's worst case fits the run's budget, and the amount reserved
        (None: the run has no budget)."""
        policy = context.policy
        if policy.budget_usd is None:
            return True, None
        amount = worst_case_cost(policy=policy, system=context.system, body=body, batch=True)
        if not await self._store.reserve_budget(row.run_id, amount):
            return False, None
        await self._store.set_reserved(row.id, amount)
        return True, amount

    async def _send(
        self,
        ticket: BatchTicket,
        context: RunContext,
        ready: list[tuple[BatchRequestRow, BatchRequest]],
    ) -> None:
        try:
            provider = await self._providers.provider_for(context.account_id)
            api = self._batch_api(provider)
            if api is None:
                raise ModelError(
                    ModelErrorCode.PROVIDER_ERROR,
                    "the account's provider key has no Message Batches API (an OpenAI-compatible"
                    " endpoint): run it realtime (mode realtime) or add an Anthropic key",
                    retryable=False,
                )
            batch_id = await api.create([item for _, item in ready])
        except ModelError as exc:
            rows = [row for row, _ in ready]
            if exc.retryable:
                logger.warning("run %s: batch not submitted (%s); retried", ticket.run_id, exc)
                await self._store.requeue(rows)
            else:
                for row in rows:
                    blocks = await self._store.claimed_blocks(row.id)
                    decision = after_error(
                        blocks, code=exc.error_code, message=exc.message, retryable=False,
                        policy=context.policy,
                    )  # fmt: skip
                    await self._settle(row, decision, context)
            await self._store.end_batch(ticket.id)
            return
        await self._store.mark_submitted(
            ticket.id, provider_batch_id=batch_id, poll_after_seconds=self._timing.poll_seconds
        )
        logger.info("run %s: batch %s submitted (%d packs)", ticket.run_id, batch_id, len(ready))

    # --- poll ---------------------------------------------------------------------------

    async def poll_one(self) -> bool:
        ticket = await self._store.take_due(
            worker_id=self._worker_id, lease_seconds=self._timing.lease_seconds
        )
        if ticket is None:
            return False
        if ticket.state == "submitting" or ticket.provider_batch_id is None:
            # Its submitter died before recording the provider's id: the requests go out
            # again in a new batch (a batch the provider may have made is never read).
            await self._store.requeue(ticket.requests)
            await self._store.end_batch(ticket.id)
            return True
        context = await self._contexts.get(ticket.run_id)
        if context is None:
            await self._store.end_batch(ticket.id)
            return True
        try:
            results = await self._results(ticket, context)
        except ModelError as exc:
            logger.warning("batch %s: poll failed (%s); polled again later", ticket.id, exc)
            results = None
        if results is None:
            await self._store.reschedule(ticket.id, poll_after_seconds=self._timing.poll_seconds)
            return True
        by_id = {r.custom_id: r for r in results}
        for row in ticket.requests:
            result = by_id.get(row.custom_id) or BatchResult(row.custom_id, "expired")
            await self._settle_result(row, result, context)
        await self._store.end_batch(ticket.id)
        logger.info("run %s: batch %s settled", ticket.run_id, ticket.provider_batch_id)
        return True

    async def _results(self, ticket: BatchTicket, context: RunContext) -> list[BatchResult] | None:
        """The batch's results once it ended, else None; a cancelled run cancels it first."""
        provider = await self._providers.provider_for(context.account_id)
        api = self._batch_api(provider)
        batch_id = ticket.provider_batch_id
        if api is None or batch_id is None:
            return []
        if not ticket.run_live and not ticket.cancel_requested:
            with contextlib.suppress(ModelError):  # an ended batch refuses a cancel: fine
                await api.cancel(batch_id)
            await self._store.mark_cancel_requested(ticket.id)
        if not await api.ended(batch_id):
            return None
        return await api.results(batch_id)

    async def _settle_result(
        self, row: BatchRequestRow, result: BatchResult, context: RunContext
    ) -> None:
        blocks = await self._store.claimed_blocks(row.id)
        if result.error is not None and result.error.format_refused:
            self._memory.refuse_format(row.run_id)  # its next batch goes without the schema
        # The request as it was sent: the same claimed blocks give the same prompt and tags.
        structured = not self._memory.format_refused(row.run_id)
        request, prompt = pack_request(context, blocks, structured=structured)
        if result.response is not None:
            answered = dataclasses.replace(
                result.response, structured=request.output_format is not None
            )
            result = dataclasses.replace(result, response=answered)
        outcome = await decide(result, context=context, blocks=blocks, prompt=prompt)
        if outcome.schema_broken is not None:
            self._contexts.mark_broken(row.run_id, outcome.schema_broken)
        await self._settle(row, outcome.decision, context, call=outcome.call)

    async def _settle(
        self,
        row: BatchRequestRow,
        decision: Decision,
        context: RunContext,
        *,
        call: LlmCall | None = None,
    ) -> None:
        decision = with_flags(decision, definition=context.definition, repacked=row.split_depth > 0)
        pack = PackReady(
            run_id=row.run_id,
            pack_id=row.pack_id,
            block_count=len(decision.outcomes),
            split_depth=row.split_depth,
        )
        if call is not None:
            metrics.record_call(call)
        settled = await self._store.settle_result(
            row.id,
            Settlement(
                pack=pack,
                worker_id=batch_worker_id(row.id),
                decision=decision,
                call=call,
                reserved=row.reserved_usd,
            ),
            requeue=pack if decision.retry_same_pack else None,
        )
        if settled is not None:
            metrics.record_settled(settled=settled, offered=len(decision.outcomes))


def _with(row: BatchRequestRow, reserved: Decimal) -> BatchRequestRow:
    return BatchRequestRow(row.id, row.run_id, row.pack_id, row.split_depth, reserved)

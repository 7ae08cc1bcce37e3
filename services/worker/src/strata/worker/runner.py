"""pack.ready → claim → one model call → settle. Everything a call changes (overlays, the
llm_calls row, follow-up packs, overlays.settled) commits in one outbox transaction."""

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from decimal import Decimal

from opentelemetry import trace

from strata.contracts.messages import PackReady
from strata.contracts.overlays import ModelErrorCode
from strata.runtime.tracing import current_ids, distinct_links, link_from_traceparent
from strata.worker import metrics
from strata.worker.answers import SchemaRuntimeError
from strata.worker.budget import worst_case_cost
from strata.worker.calls import call_record
from strata.worker.context import RunContext, RunContexts
from strata.worker.outcomes import (
    ClaimedBlock,
    Decision,
    after_answer,
    after_error,
    budget_exhausted,
    schema_failed,
    with_flags,
)
from strata.worker.provider import (
    ModelError,
    ModelProvider,
    ModelRequest,
    ModelResponse,
    ProviderResolver,
)
from strata.worker.reading import pack_request, read_answer
from strata.worker.run_memory import RunMemory
from strata.worker.store import PackStore, Settlement

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class PackRunner:
    def __init__(
        self,
        *,
        store: PackStore,
        contexts: RunContexts,
        providers: ProviderResolver,
        worker_id: str,
    ) -> None:
        self._store = store
        self._contexts = contexts
        self._providers = providers
        self._worker_id = worker_id
        # Per run in this process: the last message (the provider compares the next call's
        # prompt with it and says why a cached prefix was not reused) and whether the provider
        # refused the run's answer schema as a structured-output format.
        self._memory = RunMemory()

    async def run(self, msg: PackReady) -> None:
        context = await self._contexts.get(msg.run_id)
        if context is None:
            return
        blocks = await self._store.claim(
            run_id=msg.run_id,
            pack_id=msg.pack_id,
            worker_id=self._worker_id,
            lease_seconds=context.policy.lease_seconds,
        )
        metrics.record_claim(len(blocks))
        if not blocks:
            return  # a duplicate delivery, a cancelled run, or blocks already settled
        # A pack carries blocks of many uploads: per OpenTelemetry's messaging conventions for
        # batches, its span links to each document's conversion span (the block's own trace),
        # while its parent stays the pack.ready delivery (the run's trace).
        links = distinct_links(
            link_from_traceparent(b.trace_context, **{"strata.document_id": str(b.document_id)})
            for b in blocks
        )
        with tracer.start_as_current_span("strata.pack", links=links) as span:
            span.set_attribute("strata.run_id", str(msg.run_id))
            span.set_attribute("strata.pack_id", str(msg.pack_id))
            span.set_attribute("strata.block_count", len(blocks))
            span.set_attribute("strata.block_uids", [b.uid for b in blocks])
            await self._call_and_settle(msg, context, blocks)

    async def _call_and_settle(
        self, msg: PackReady, context: RunContext, blocks: list[ClaimedBlock]
    ) -> None:
        policy = context.policy
        if context.schema_problem is not None:
            # Nothing is called: no answer could be validated against this schema.
            await self._settle(msg, schema_failed(blocks, context.schema_problem), context=context)
            return
        structured = not self._memory.format_refused(msg.run_id)
        request, prompt = pack_request(context, blocks, structured=structured)
        request = dataclasses.replace(
            request,
            previous_message_id=self._memory.previous_message(
                msg.run_id, caching=policy.prompt_caching_enabled
            ),
        )
        try:
            provider = await self._providers.provider_for(context.account_id)
        except ModelError as exc:
            await self._after_error(msg, context, blocks, exc, reserved=None)
            return
        reserved = None
        if policy.budget_usd is not None:
            reserved = worst_case_cost(policy=policy, system=context.system, body=prompt.body)
            if not await self._store.reserve_budget(msg.run_id, reserved):
                await self._settle(msg, budget_exhausted(blocks, policy), context=context)
                return
        try:
            async with self._lease_kept(msg, policy.lease_seconds):
                response = await self._complete(provider, request, msg)
        except ModelError as exc:
            await self._after_error(msg, context, blocks, exc, reserved=reserved, provider=provider)
            return
        self._memory.remember_message(msg.run_id, response.message_id)
        try:
            mapped = await read_answer(context, response, prompt, blocks)
            decision = after_answer(blocks, mapped, policy)
        except SchemaRuntimeError as exc:
            problem = f"the run's schema failed at run time: {exc}"
            self._contexts.mark_broken(msg.run_id, problem)
            decision = schema_failed(blocks, problem)
        # The call was paid for either way: it is recorded with the outcome.
        await self._settle(msg, decision, context=context, response=response, reserved=reserved)

    async def _complete(
        self, provider: ModelProvider, request: ModelRequest, msg: PackReady
    ) -> ModelResponse:
        """One call; if the provider refuses the answer schema (too large, a keyword it does
        not support), once more without it, and the run's later calls go without it too."""
        try:
            return await provider.complete(request)
        except ModelError as exc:
            if not exc.format_refused or request.output_format is None:
                raise
            logger.warning(
                "run %s: the provider refused the answer schema as output format (%s);"
                " answering unconstrained",
                msg.run_id,
                exc.message,
            )
            self._memory.refuse_format(msg.run_id)
            return await provider.complete(dataclasses.replace(request, output_format=None))

    async def _after_error(
        self,
        msg: PackReady,
        context: RunContext,
        blocks: list[ClaimedBlock],
        exc: ModelError,
        *,
        reserved: Decimal | None,
        provider: ModelProvider | None = None,
    ) -> None:
        if exc.error_code is ModelErrorCode.INVALID_API_KEY:
            await self._providers.key_rejected(context.account_id, provider)
        decision = after_error(
            blocks,
            code=exc.error_code,
            message=exc.message,
            retryable=exc.retryable,
            policy=context.policy,
        )
        await self._settle(
            msg,
            decision,
            context=context,
            error=exc,
            reserved=reserved,
        )
        if decision.retry_same_pack:
            # The consumer re-offers this pack after a delay: the provider's retry-after, and at
            # least the policy's exponential backoff for the attempt the blocks are on.
            attempt = max(b.attempt_count for b in blocks) + 1
            backoff = context.policy.retry_backoff * 2 ** (attempt - 1)
            exc.retry_after_s = max(exc.retry_after_s or 0.0, backoff)
            raise exc

    @contextlib.asynccontextmanager
    async def _lease_kept(self, msg: PackReady, lease_seconds: int) -> AsyncIterator[None]:
        async def renew() -> None:
            while True:
                await asyncio.sleep(lease_seconds / 3)
                with contextlib.suppress(Exception):  # a missed renewal is retried next tick
                    await self._store.renew_lease(
                        run_id=msg.run_id,
                        pack_id=msg.pack_id,
                        worker_id=self._worker_id,
                        lease_seconds=lease_seconds,
                    )

        task = asyncio.create_task(renew())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _settle(
        self,
        msg: PackReady,
        decision: Decision,
        *,
        context: RunContext,
        response: ModelResponse | None = None,
        error: ModelError | None = None,
        reserved: Decimal | None = None,
    ) -> None:
        decision = with_flags(decision, definition=context.definition, repacked=msg.split_depth > 0)
        call = None
        # A call was made unless no key was found to make it with.
        if response is not None or (error and error.error_code != ModelErrorCode.NO_API_KEY):
            call = call_record(
                decision,
                response=response,
                error=error,
                policy=context.policy,
                answer_form=context.answer_form,
            )
            metrics.record_call(call)
        settled = await self._store.settle(
            Settlement(
                pack=msg,
                worker_id=self._worker_id,
                decision=decision,
                call=call,
                reserved=reserved,
                trace=current_ids(),
            )
        )
        metrics.record_settled(settled=settled, offered=len(decision.outcomes))
        if settled == len(decision.outcomes):  # every claim was still ours: its flags stand
            metrics.record_flagged(sum(1 for o in decision.outcomes if o.flags))
        if settled < len(decision.outcomes):
            logger.warning(
                "pack %s: %d claim(s) were no longer ours; their answers were discarded",
                msg.pack_id,
                len(decision.outcomes) - settled,
            )

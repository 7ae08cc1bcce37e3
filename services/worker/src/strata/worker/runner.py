"""pack.ready → claim → one model call → settle. Everything a call changes (overlays, the
llm_calls row, follow-up packs, overlays.settled) commits in one outbox transaction."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from uuid import UUID, uuid4

from opentelemetry import trace

from strata.contracts.messages import PackReady, RecountRequested
from strata.contracts.overlays import ModelErrorCode, OverlayStatus
from strata.planning.pricing import call_cost
from strata.planning.prompt import PromptBlock, build_prompt
from strata.runtime.db import Queries
from strata.runtime.outbox import Outbox
from strata.worker.answers import map_answer
from strata.worker.budget import BudgetLedger, worst_case_cost
from strata.worker.context import RunContext, RunContexts
from strata.worker.outcomes import (
    ClaimedBlock,
    Decision,
    after_answer,
    after_error,
    budget_exhausted,
)
from strata.worker.provider import (
    ModelError,
    ModelProvider,
    ModelRequest,
    ModelResponse,
    ProviderResolver,
)

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class PackRunner:
    def __init__(
        self,
        *,
        outbox: Outbox,
        queries: Queries,
        contexts: RunContexts,
        providers: ProviderResolver,
        worker_id: str,
    ) -> None:
        self._outbox = outbox
        self._queries = queries
        self._contexts = contexts
        self._providers = providers
        self._budget = BudgetLedger(queries)
        self._worker_id = worker_id

    async def run(self, msg: PackReady) -> None:
        pool = self._outbox.pool
        async with pool.acquire() as conn:
            context = await self._contexts.get(conn, msg.run_id)
            if context is None:
                return
            rows = await conn.fetch(
                self._queries.claim_pack,
                msg.run_id,
                msg.pack_id,
                self._worker_id,
                float(context.policy.lease_seconds),
            )
        blocks = [
            ClaimedBlock(r["document_id"], r["block_index"], r["attempt_count"], r["text"])
            for r in rows
        ]
        if not blocks:
            return  # a duplicate delivery, a cancelled run, or blocks already settled
        with tracer.start_as_current_span("strata.pack") as span:
            span.set_attribute("strata.run_id", str(msg.run_id))
            span.set_attribute("strata.pack_id", str(msg.pack_id))
            span.set_attribute("strata.block_count", len(blocks))
            await self._call_and_settle(msg, context, blocks)

    async def _call_and_settle(
        self, msg: PackReady, context: RunContext, blocks: list[ClaimedBlock]
    ) -> None:
        policy = context.policy
        prompt_blocks = [PromptBlock(b.uid, b.text) for b in blocks]
        prompt = build_prompt(
            system=context.system, blocks=prompt_blocks, cache=policy.prompt_caching_enabled
        )
        request = ModelRequest(
            policy.model, prompt.system, prompt.messages, policy.max_tokens, policy.temperature
        )
        try:
            provider = await self._providers.provider_for(context.account_id)
        except ModelError as exc:
            await self._after_error(msg, context, blocks, exc, reserved=None)
            return
        reserved = None
        if policy.budget_usd is not None:
            reserved = worst_case_cost(policy=policy, system=context.system, body=prompt.body)
            if not await self._budget.reserve(self._outbox.pool, msg.run_id, reserved):
                await self._settle(msg, budget_exhausted(blocks, policy), model=policy.model)
                return
        try:
            async with self._lease_kept(msg, policy.lease_seconds):
                response = await provider.complete(request)
        except ModelError as exc:
            await self._after_error(msg, context, blocks, exc, reserved=reserved, provider=provider)
            return
        mapped = None
        if response.stop_reason != "max_tokens":
            mapped = map_answer(response.text, prompt.tags, context.validator).rekeyed(
                prompt.uid_for(prompt_blocks)
            )
        await self._settle(
            msg,
            after_answer(blocks, mapped, policy),
            response=response,
            model=policy.model,
            reserved=reserved,
        )

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
        await self._settle(msg, decision, error=exc, model=context.policy.model, reserved=reserved)
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
                    await self._outbox.pool.execute(
                        self._queries.renew_lease,
                        msg.run_id,
                        msg.pack_id,
                        self._worker_id,
                        float(lease_seconds),
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
        model: str,
        response: ModelResponse | None = None,
        error: ModelError | None = None,
        reserved: Decimal | None = None,
    ) -> None:
        outcomes = decision.outcomes
        async with self._outbox.transaction() as uow:
            settled = await uow.conn.fetch(
                self._queries.settle_overlays,
                msg.run_id,
                [o.block.document_id for o in outcomes],
                [o.block.block_index for o in outcomes],
                [o.status.value for o in outcomes],
                [o.staged for o in outcomes],
                [o.attempt_inc for o in outcomes],
                [o.pack_id for o in outcomes],
                [o.error_code for o in outcomes],
                [o.error_message for o in outcomes],
                self._worker_id,
            )
            # A call was made unless no key was found to make it with.
            if response is not None or (error and error.error_code != ModelErrorCode.NO_API_KEY):
                billed = await self._record_call(
                    uow.conn, msg, decision, response=response, error=error, model=model
                )
            else:
                billed = Decimal(0)
            if reserved is not None:
                await self._budget.settle(uow.conn, msg.run_id, reserved=reserved, billed=billed)
            pending_by_pack: dict[UUID, int] = {}
            for row in settled:
                if row["status"] == OverlayStatus.PENDING and row["pack_id"] in decision.new_packs:
                    pending_by_pack[row["pack_id"]] = pending_by_pack.get(row["pack_id"], 0) + 1
            for pack_id, count in pending_by_pack.items():
                uow.emit(
                    PackReady(
                        run_id=msg.run_id,
                        pack_id=pack_id,
                        block_count=count,
                        split_depth=msg.split_depth + 1,
                    ),
                )
            if settled:
                statuses = [row["status"] for row in settled]
                uow.notify(  # derived state: a lost one is healed by the rollup's sweep
                    RecountRequested(
                        run_id=msg.run_id,
                        completed=statuses.count(OverlayStatus.AI_COMPLETE),
                        failed=statuses.count(OverlayStatus.FAILED),
                        released=statuses.count(OverlayStatus.PENDING),
                    ),
                )
        if len(settled) < len(outcomes):
            logger.warning(
                "pack %s: %d claim(s) were no longer ours; their answers were discarded",
                msg.pack_id,
                len(outcomes) - len(settled),
            )

    async def _record_call(self, conn, msg, decision, *, response, error, model) -> Decimal:
        usage = response or _NO_USAGE
        cost = call_cost(
            model,
            input_tokens=usage.input_tokens,
            cache_write=usage.cache_creation_input_tokens,
            cache_read=usage.cache_read_input_tokens,
            output_tokens=usage.output_tokens,
        )
        await conn.execute(
            self._queries.insert_llm_call,
            uuid4(),
            msg.run_id,
            msg.pack_id,
            [o.block.uid for o in decision.outcomes],
            model,
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_creation_input_tokens,
            usage.cache_read_input_tokens,
            cost,
            response.latency_ms if response else error.latency_ms,
            response.stop_reason if response else None,
            error.code if error else None,
            error.message if error else None,
        )
        return cost


_NO_USAGE = ModelResponse("", None, 0, 0, 0, 0, 0)

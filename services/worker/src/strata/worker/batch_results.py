"""What one Message Batch result decides for its pack's blocks: the same decisions a realtime
call's answer or error makes (`outcomes.after_answer`, `after_error`), so validation, mapping,
split-on-overflow, typed errors and attempt counting are exactly those of a realtime run.

Only two outcomes are the batch's own: an `expired` request (the batch ended before it was
processed) is a retryable timeout that counts an attempt, as a realtime timeout does; a
`canceled` one (the run was cancelled, or someone cancelled the batch at the provider) goes back
to pending without counting an attempt."""

from dataclasses import dataclass

from strata.contracts.overlays import ModelErrorCode, OverlayStatus
from strata.planning.prompt import PackPrompt
from strata.worker.answers import SchemaRuntimeError
from strata.worker.batch_provider import BatchResult
from strata.worker.calls import call_record
from strata.worker.context import RunContext
from strata.worker.outcomes import (
    BlockOutcome,
    ClaimedBlock,
    Decision,
    after_answer,
    after_error,
    schema_failed,
)
from strata.worker.reading import read_answer
from strata.worker.store import LlmCall

EXPIRED_MESSAGE = "the Message Batch ended before this request was processed (expired)"
CANCELED_MESSAGE = "the Message Batch was cancelled before this request was processed"


@dataclass(frozen=True)
class ResultDecision:
    decision: Decision
    call: LlmCall | None  # None: nothing was billed (expired, canceled)
    schema_broken: str | None = None  # the run's schema failed at run time (mark the run)


async def decide(
    result: BatchResult, *, context: RunContext, blocks: list[ClaimedBlock], prompt: PackPrompt
) -> ResultDecision:
    policy = context.policy
    if result.kind == "succeeded" and result.response is not None:
        response = result.response
        broken = None
        try:
            mapped = await read_answer(context, response, prompt, blocks)
            decision = after_answer(blocks, mapped, policy)
        except SchemaRuntimeError as exc:
            broken = f"the run's schema failed at run time: {exc}"
            decision = schema_failed(blocks, broken)
        call = call_record(
            decision,
            response=response,
            error=None,
            policy=policy,
            batch=True,
            answer_form=context.answer_form,
        )
        return ResultDecision(decision, call, broken)
    if result.kind == "errored" and result.error is not None:
        error = result.error
        decision = after_error(
            blocks,
            code=error.error_code,
            message=error.message,
            retryable=error.retryable or error.format_refused,
            policy=policy,
        )
        # Recorded like a failed realtime call (unbilled: an errored request costs nothing).
        return ResultDecision(
            decision,
            call_record(
                decision,
                response=None,
                error=error,
                policy=policy,
                batch=True,
                answer_form=context.answer_form,
            ),
        )
    if result.kind == "expired":
        decision = after_error(
            blocks, code=ModelErrorCode.TIMEOUT, message=EXPIRED_MESSAGE, retryable=True,
            policy=policy,
        )  # fmt: skip
        return ResultDecision(decision, None)
    # canceled (or a result kind this code does not know: never guess, retry unpaid)
    return ResultDecision(
        Decision(
            outcomes=[
                BlockOutcome(
                    b,
                    OverlayStatus.PENDING,
                    error_code=ModelErrorCode.CANCELLED,
                    error_message=CANCELED_MESSAGE,
                )
                for b in blocks
            ],
            retry_same_pack=bool(blocks),
        ),
        None,
    )

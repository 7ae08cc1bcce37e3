"""The `llm_calls` row of one call (pure): its tokens as the provider reported them, priced with
the run's model and cache TTL, and what went wrong if anything did."""

from strata.contracts.policy import PolicySnapshot
from strata.planning.answer_rows import AnswerForm
from strata.planning.pricing import call_cost
from strata.worker.outcomes import Decision
from strata.worker.provider import ModelError, ModelResponse
from strata.worker.store import LlmCall


def call_record(
    decision: Decision,
    *,
    response: ModelResponse | None,
    error: ModelError | None,
    policy: PolicySnapshot,
    batch: bool = False,
    answer_form: AnswerForm = AnswerForm.FULL,
) -> LlmCall:
    """`batch`: a Message Batch request's result, billed at the batch tier (half price)."""
    usage = response or _NO_USAGE
    model = policy.model
    cost = call_cost(
        model,
        input_tokens=usage.input_tokens,
        cache_write=usage.cache_creation_input_tokens,
        cache_read=usage.cache_read_input_tokens,
        output_tokens=usage.output_tokens,
        ttl=policy.prompt_cache_ttl,
        batch=batch,
    )
    return LlmCall(
        model=model,
        block_uids=[o.block.uid for o in decision.outcomes],
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_creation_input_tokens=usage.cache_creation_input_tokens,
        cache_read_input_tokens=usage.cache_read_input_tokens,
        cost_usd=cost,
        latency_ms=response.latency_ms if response else (error.latency_ms if error else 0),
        stop_reason=response.stop_reason if response else None,
        error_code=error.code if error else None,
        error_message=error.message if error else None,
        cache_miss_reason=response.cache_miss_reason if response else None,
        structured_output=response.structured if response else False,
        service_tier="batch" if batch else "standard",
        answer_form=answer_form.value,
    )


_NO_USAGE = ModelResponse("", None, 0, 0, 0, 0, 0)

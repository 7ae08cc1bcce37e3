"""One pack's request and its answer read back into its blocks: the same for a realtime call
and a Message Batch request, so both ask alike and settle exactly alike."""

import asyncio

from strata.planning.answer_format import pack_answer_schema, supports_structured_outputs
from strata.planning.prompt import PackPrompt, PromptBlock, build_prompt
from strata.worker.answers import MappedAnswer, map_answer
from strata.worker.context import RunContext
from strata.worker.outcomes import ClaimedBlock
from strata.worker.provider import ModelRequest, ModelResponse


async def read_answer(
    context: RunContext, response: ModelResponse, prompt: PackPrompt, blocks: list[ClaimedBlock]
) -> MappedAnswer | None:
    """Each block's validated values (or why not) by block uid; None when the answer was cut
    at max_tokens (the pack is split). Raises SchemaRuntimeError when the schema is at fault.

    In a thread: validation is CPU work whose cost the schema's author chooses (RE2 keeps each
    pattern linear, but a schema may hold hundreds of them). On the event loop it would stall
    every other pack of every tenant in this process, and the lease renewals with them."""
    if response.stop_reason == "max_tokens":
        return None
    answer = await asyncio.to_thread(
        map_answer,
        response.text,
        prompt.tags,
        context.validator,
        context.omitted,
        context.row_fields,
    )
    return answer.rekeyed(prompt.uid_for([PromptBlock(b.uid, b.text) for b in blocks]))


def pack_request(
    context: RunContext, blocks: list[ClaimedBlock], *, structured: bool
) -> tuple[ModelRequest, PackPrompt]:
    """The request for these blocks (prompt, tags and, with `structured`, the answer format),
    without cache diagnostics (the realtime runner adds them). Pure: built again from the same
    claimed blocks when a batch result arrives, it gives the same tags to map the answer with."""
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

"""One pack's answer read back into its blocks: the same for a realtime call and a Message
Batch result, so both settle exactly alike."""

import asyncio

from strata.planning.prompt import PackPrompt, PromptBlock
from strata.worker.answers import MappedAnswer, map_answer
from strata.worker.context import RunContext
from strata.worker.provider import ModelResponse


async def read_answer(
    context: RunContext, response: ModelResponse, prompt: PackPrompt, blocks: list[PromptBlock]
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
    return answer.rekeyed(prompt.uid_for(blocks))

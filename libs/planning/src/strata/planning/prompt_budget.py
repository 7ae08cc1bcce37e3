"""Whether a run's constant prompt leaves room for its blocks (pure).

The system prompt (instructions, the schema, field instructions) is sent with every call. If it
fills the context, every pack is one block that overflows, and every call is paid for nothing; a
10 MB schema description would be priced at dollars per call. So the gateway refuses a schema,
and a run, whose constant prompt leaves less than `MIN_BLOCK_SHARE` of the usable input context
to the blocks — with the same prompt and token rule the worker and the dry run use.
"""

from dataclasses import dataclass
from typing import Any

from strata.contracts.policy import PolicySnapshot
from strata.contracts.schemas import PromptConfig
from strata.planning.planner import usable_input_tokens
from strata.planning.prompt import system_prompt
from strata.planning.tokens import estimate_tokens

# At least half of what a call may send is left for document blocks.
MIN_BLOCK_SHARE = 0.5


@dataclass(frozen=True)
class PromptRoom:
    system_tokens: int
    usable_tokens: int

    @property
    def block_tokens(self) -> int:
        return self.usable_tokens - self.system_tokens

    @property
    def fits(self) -> bool:
        return self.block_tokens >= self.usable_tokens * MIN_BLOCK_SHARE

    def explain(self) -> str:
        return (
            f"the constant prompt (instructions and schema) is about {self.system_tokens} tokens;"
            f" the policy's context leaves {self.usable_tokens} for a call's input, and at least"
            f" {MIN_BLOCK_SHARE:.0%} of it must stay for the blocks: shorten the schema or its"
            " instructions, or use a larger context_budget_tokens"
        )


def prompt_room(
    definition: dict[str, Any], prompt_config: PromptConfig, policy: PolicySnapshot
) -> PromptRoom:
    system = system_prompt(
        definition, prompt_config, sparse=policy.sparse_answers, rows=policy.row_answers
    )
    return PromptRoom(estimate_tokens(system), usable_input_tokens(policy))

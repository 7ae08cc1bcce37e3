"""Pack planning (pure): which blocks go to the model together, in block_index order."""

from collections.abc import Sequence
from dataclasses import dataclass

from strata.contracts.policy import BatchingMode, PolicySnapshot


@dataclass(frozen=True)
class PlannedBlock:
    key: tuple[str, int]  # (document_id, block_index)
    token_estimate: int


def usable_input_tokens(policy: PolicySnapshot) -> int:
    """The context a call's input may fill: the budget after the safety margin and the answer."""
    usable = int(policy.context_budget_tokens * (1 - policy.context_safety_margin))
    return usable - policy.max_tokens


def pack_budgets(policy: PolicySnapshot, *, fixed_prompt_tokens: int) -> tuple[int, int]:
    """(input tokens, output tokens) one pack may use after the safety margins."""
    input_budget = usable_input_tokens(policy) - fixed_prompt_tokens
    output_budget = int(policy.max_tokens * (1 - policy.output_safety_margin))
    return max(input_budget, 1), max(output_budget, 1)


def plan_packs(
    blocks: Sequence[PlannedBlock], policy: PolicySnapshot, *, fixed_prompt_tokens: int
) -> list[list[PlannedBlock]]:
    """Split ordered blocks into packs. Order is kept; every block lands in exactly one pack."""
    if not policy.batching_enabled:
        return [[b] for b in blocks]
    if policy.batching_mode is BatchingMode.FIXED:
        size = policy.fixed_pack_size
        return [list(blocks[i : i + size]) for i in range(0, len(blocks), size)]
    input_budget, output_budget = pack_budgets(policy, fixed_prompt_tokens=fixed_prompt_tokens)
    per_block_out = policy.output_tokens_per_block
    packs: list[list[PlannedBlock]] = []
    current: list[PlannedBlock] = []
    used_in = used_out = 0
    for block in blocks:
        cost_in = block.token_estimate + _TAG_OVERHEAD_TOKENS
        fits = (
            len(current) < policy.max_pack_size
            and used_in + cost_in <= input_budget
            and used_out + per_block_out <= output_budget
        )
        if current and not fits and len(current) >= policy.min_pack_size:
            packs.append(current)
            current, used_in, used_out = [], 0, 0
        current.append(block)
        used_in += cost_in
        used_out += per_block_out
    if current:
        packs.append(current)
    return packs


# `<block uid="…">` … `</block>` around each block's text, in the simulator's token rule.
_TAG_OVERHEAD_TOKENS = 16

from strata.contracts.policy import PolicySnapshot
from strata.planning.planner import PlannedBlock, pack_budgets, plan_packs


def blocks(*tokens: int) -> list[PlannedBlock]:
    return [PlannedBlock(("d", i), t) for i, t in enumerate(tokens)]


def keys(packs):
    return [[b.key[1] for b in p] for p in packs]


def test_batching_off_is_one_block_per_pack():
    packs = plan_packs(
        blocks(10, 10, 10), PolicySnapshot(batching_enabled=False), fixed_prompt_tokens=0
    )
    assert keys(packs) == [[0], [1], [2]]


def test_fixed_mode_chunks_in_order():
    policy = PolicySnapshot(batching_mode="fixed", fixed_pack_size=2)
    assert keys(plan_packs(blocks(*[5] * 5), policy, fixed_prompt_tokens=0)) == [
        [0, 1],
        [2, 3],
        [4],
    ]


def test_adaptive_respects_max_pack_size_and_keeps_order():
    policy = PolicySnapshot(max_pack_size=3)
    packs = plan_packs(blocks(*[5] * 7), policy, fixed_prompt_tokens=100)
    assert keys(packs) == [[0, 1, 2], [3, 4, 5], [6]]


def test_adaptive_closes_a_pack_at_the_output_budget():
    # 4096 * 0.75 = 3072 output tokens per pack; 1000 per block -> 3 blocks per pack.
    policy = PolicySnapshot(output_tokens_per_block=1000, max_tokens=4096)
    assert [len(p) for p in plan_packs(blocks(*[5] * 7), policy, fixed_prompt_tokens=0)] == [
        3,
        3,
        1,
    ]


def test_adaptive_closes_a_pack_at_the_input_budget():
    policy = PolicySnapshot(
        context_budget_tokens=10_000, context_safety_margin=0.0, max_tokens=1000
    )
    input_budget, _ = pack_budgets(policy, fixed_prompt_tokens=1000)
    assert input_budget == 8000
    packs = plan_packs(blocks(*[3000] * 5), policy, fixed_prompt_tokens=1000)
    assert all(sum(b.token_estimate for b in p) <= input_budget for p in packs)
    assert [b.key[1] for p in packs for b in p] == [0, 1, 2, 3, 4]


def test_a_block_larger_than_the_budget_still_gets_a_pack_of_its_own():
    policy = PolicySnapshot(context_budget_tokens=2000, context_safety_margin=0.0, max_tokens=100)
    assert keys(plan_packs(blocks(10, 50_000, 10), policy, fixed_prompt_tokens=0)) == [
        [0],
        [1],
        [2],
    ]


def test_min_pack_size_keeps_packs_from_getting_too_small():
    policy = PolicySnapshot(output_tokens_per_block=2000, min_pack_size=2, max_tokens=4096)
    packs = plan_packs(blocks(*[5] * 4), policy, fixed_prompt_tokens=0)
    assert all(len(p) >= 2 for p in packs)

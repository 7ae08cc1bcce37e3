import json
from decimal import Decimal
from pathlib import Path

from strata.contracts.policy import PolicySnapshot
from strata.contracts.schemas import PromptConfig
from strata.planning.answers import expected_answer_chars
from strata.planning.estimate import EstimateBlock, RunEstimator, estimate_run
from strata.planning.pricing import call_cost
from strata.planning.prompt import system_prompt
from strata.planning.tokens import estimate_tokens

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "examples" / "schema.json").read_text())
DEFINITION, CONFIG = SCHEMA["definition"], PromptConfig.model_validate(SCHEMA["prompt_config"])
BLOCKS = [
    EstimateBlock(("d", i), f"Invoice {i} is due within {i % 30} days. " * (1 + i % 4))
    for i in range(250)
]


def test_estimate_plans_like_the_worker_and_prices_every_token():
    policy = PolicySnapshot()
    estimate = estimate_run(BLOCKS, definition=DEFINITION, prompt_config=CONFIG, policy=policy)
    assert estimate.blocks == 250 and sum(estimate.pack_sizes) == 250
    assert estimate.calls == estimate.packs == 3  # max_pack_size 100
    system_tokens = estimate_tokens(system_prompt(DEFINITION, CONFIG))
    assert system_tokens < 2048  # too short to cache: billed as plain input on every call
    assert estimate.cache_write_tokens == estimate.cache_read_tokens == 0
    assert estimate.caching_note is not None and "2048-token minimum" in estimate.caching_note
    assert estimate.input_tokens > 3 * system_tokens + sum(estimate_tokens(b.text) for b in BLOCKS)
    # Prices are linear: the packs' costs add up to the cost of all their tokens (to rounding).
    total = call_cost(
        policy.model,
        input_tokens=estimate.input_tokens,
        cache_write=0,
        cache_read=0,
        output_tokens=estimate.output_tokens,
    )
    assert abs(estimate.cost_usd - total) <= Decimal("0.0000001") and total > 0


def test_unbatched_estimates_cost_more_and_long_prompts_are_cached():
    batched = estimate_run(
        BLOCKS, definition=DEFINITION, prompt_config=CONFIG, policy=PolicySnapshot()
    )
    naive = estimate_run(
        BLOCKS,
        definition=DEFINITION,
        prompt_config=CONFIG,
        policy=PolicySnapshot(batching_enabled=False),
    )
    assert naive.calls == 250 and naive.cost_usd > 2 * batched.cost_usd
    long_config = CONFIG.model_copy(update={"system_instructions": "Be exact. " * 900})
    cached = estimate_run(
        BLOCKS,
        definition=DEFINITION,
        prompt_config=long_config,
        policy=PolicySnapshot(batching_enabled=False),
    )
    uncached = estimate_run(
        BLOCKS,
        definition=DEFINITION,
        prompt_config=long_config,
        policy=PolicySnapshot(batching_enabled=False, prompt_caching_enabled=False),
    )
    assert (
        cached.cache_write_tokens > 2048
        and cached.cache_read_tokens == 249 * cached.cache_write_tokens
    )
    assert cached.caching_note is None and uncached.caching_note is None
    assert cached.cost_usd < uncached.cost_usd / 3


def test_expected_answers_grow_with_the_schema_and_the_text():
    short, long = (
        expected_answer_chars(DEFINITION, "x" * 20),
        expected_answer_chars(DEFINITION, "x" * 2000),
    )
    assert 40 < short < long
    # A string never runs past its maxLength (160 here) however long the block.
    assert long - short <= 160
    assert isinstance(
        estimate_run(
            [], definition=DEFINITION, prompt_config=CONFIG, policy=PolicySnapshot()
        ).cost_usd,
        Decimal,
    )


def test_an_estimate_fed_in_chunks_equals_one_pass_over_every_block():
    policy = PolicySnapshot(max_pack_size=20)
    whole = estimate_run(BLOCKS, definition=DEFINITION, prompt_config=CONFIG, policy=policy)
    assert whole.packs > 10
    for size in (1, 7, 50):
        estimator = RunEstimator(definition=DEFINITION, prompt_config=CONFIG, policy=policy)
        for start in range(0, len(BLOCKS), size):
            estimator.add(BLOCKS[start : start + size])
        assert estimator.finish() == whole, size

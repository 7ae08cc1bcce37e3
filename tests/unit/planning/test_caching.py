"""The minimum cacheable prompt per model, the two TTLs and how the estimate uses them."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from strata.contracts.policy import PolicySnapshot, PromptCacheTtl
from strata.contracts.schemas import PromptConfig
from strata.planning.caching import cache_control, caching_note, min_cacheable_tokens
from strata.planning.estimate import EstimateBlock, estimate_run
from strata.planning.pricing import call_cost
from strata.planning.prompt import PromptBlock, build_prompt, system_prompt

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "examples" / "schema.json").read_text())
DEFINITION = SCHEMA["definition"]
# About 600 tokens of constant prompt: above Opus 5's minimum, below Sonnet 4.6's.
CONFIG = PromptConfig.model_validate(SCHEMA["prompt_config"]).model_copy(
    update={"system_instructions": "Be exact. " * 80}
)
BLOCKS = [EstimateBlock(("d", i), f"Invoice {i} is due in {i} days.") for i in range(40)]


@pytest.mark.parametrize(
    ("model", "minimum"),
    [
        ("claude-opus-5", 512),
        ("claude-sonnet-4-5-20250929", 1024),
        ("claude-opus-4-1-20250805", 1024),
        ("claude-sonnet-4-6", 2048),
        ("claude-3-5-haiku-20241022", 2048),
        ("claude-opus-4-6", 4096),
        ("claude-haiku-4-5-20251001", 4096),
        ("some-unknown-model", 4096),  # never promise caching we cannot vouch for
    ],
)
def test_minimum_cacheable_prompt_by_model_family(model: str, minimum: int) -> None:
    assert min_cacheable_tokens(model) == minimum


def test_the_one_hour_ttl_writes_at_twice_the_input_price() -> None:
    five = call_cost(
        "claude-sonnet-4-6", input_tokens=0, cache_write=1_000_000, cache_read=0, output_tokens=0
    )
    hour = call_cost(
        "claude-sonnet-4-6",
        input_tokens=0,
        cache_write=1_000_000,
        cache_read=0,
        output_tokens=0,
        ttl=PromptCacheTtl.ONE_HOUR,
    )
    assert (five, hour) == (Decimal("3.75"), Decimal("6"))
    assert cache_control(PromptCacheTtl.FIVE_MINUTES) == {"type": "ephemeral"}
    assert cache_control(PromptCacheTtl.ONE_HOUR) == {"type": "ephemeral", "ttl": "1h"}
    prompt = build_prompt(
        system="s", blocks=[PromptBlock("u", "t")], cache=True, ttl=PromptCacheTtl.ONE_HOUR
    )
    assert prompt.system[0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_the_estimate_says_when_the_constant_prompt_is_too_short_to_cache() -> None:
    opus = estimate_run(
        BLOCKS,
        definition=DEFINITION,
        prompt_config=CONFIG,
        policy=PolicySnapshot(model="claude-opus-5", batching_enabled=False),
    )
    sonnet = estimate_run(
        BLOCKS,
        definition=DEFINITION,
        prompt_config=CONFIG,
        policy=PolicySnapshot(batching_enabled=False),
    )
    assert opus.caching_note is None and opus.cache_read_tokens > 0
    assert sonnet.cache_read_tokens == 0 and "below the 2048-token minimum" in (
        sonnet.caching_note or ""
    )
    off = PolicySnapshot(prompt_caching_enabled=False)
    assert caching_note(model=off.model, system_tokens=10, enabled=False) is None


def test_the_estimate_prices_the_chosen_ttl() -> None:
    def run(ttl: PromptCacheTtl) -> Decimal:
        policy = PolicySnapshot(model="claude-opus-5", batching_enabled=False, prompt_cache_ttl=ttl)
        return estimate_run(
            BLOCKS, definition=DEFINITION, prompt_config=CONFIG, policy=policy
        ).cost_usd

    # One write per run: the 1-hour TTL costs exactly 0.75x input more on that one write.
    assert run(PromptCacheTtl.ONE_HOUR) > run(PromptCacheTtl.FIVE_MINUTES)
    with pytest.raises(ValueError, match="prompt_cache_ttl"):
        PolicySnapshot.model_validate({"prompt_cache_ttl": "2h"})


def test_the_sparse_form_is_asked_for_only_when_the_policy_says_so() -> None:
    assert "\nSparse answers:" in system_prompt(DEFINITION, CONFIG, sparse=True)
    assert "Sparse answers:" not in system_prompt(DEFINITION, CONFIG)
    assert PolicySnapshot().sparse_answers is True

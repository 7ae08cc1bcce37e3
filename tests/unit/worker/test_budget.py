from decimal import Decimal

from strata.contracts.policy import PolicySnapshot
from strata.planning.pricing import call_cost
from strata.worker.budget import worst_case_cost


def test_the_worst_case_covers_full_output_and_cache_writes():
    policy = PolicySnapshot(max_tokens=1000)
    worst = worst_case_cost(policy=policy, system="s" * 400, body="b" * 4000)
    least = call_cost(
        policy.model, input_tokens=1100, cache_write=0, cache_read=0, output_tokens=1000
    )
    assert worst > least
    # No call can bill more than this: every input token as a cache write, all of max_tokens.
    most = call_cost(
        policy.model, input_tokens=0, cache_write=1100, cache_read=0, output_tokens=1000
    )
    assert worst >= most
    uncached = worst_case_cost(
        policy=policy.with_overrides({"prompt_caching_enabled": False}),
        system="s" * 400,
        body="b" * 4000,
    )
    assert Decimal(0) < uncached < worst

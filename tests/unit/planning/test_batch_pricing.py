"""Message Batch requests bill at half price, and the estimate prices both modes."""

from decimal import Decimal

from strata.contracts.policy import PolicySnapshot, RunMode
from strata.planning.estimate import estimate_run
from strata.planning.pricing import BATCH_DISCOUNT, call_cost
from tests.unit.planning.test_caching import BLOCKS, CONFIG, DEFINITION


def test_a_batch_request_bills_every_token_kind_at_half() -> None:
    tokens = {"input_tokens": 1000, "cache_write": 3000, "cache_read": 9000, "output_tokens": 700}
    for model in ("claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-1"):
        standard = call_cost(model, **tokens)
        assert call_cost(model, **tokens, batch=True) == (standard * BATCH_DISCOUNT).quantize(
            Decimal("0.00000001")
        )
    assert Decimal("0.5") == BATCH_DISCOUNT


def test_the_estimate_shows_both_modes_and_prices_the_run_in_its_own() -> None:
    def estimate(mode: RunMode):
        policy = PolicySnapshot(model="claude-opus-5", batching_enabled=False, mode=mode)
        return estimate_run(BLOCKS, definition=DEFINITION, prompt_config=CONFIG, policy=policy)

    realtime, deferred = estimate(RunMode.REALTIME), estimate(RunMode.DEFERRED)
    assert realtime.realtime_cost_usd == deferred.realtime_cost_usd
    assert realtime.deferred_cost_usd == deferred.deferred_cost_usd
    assert (realtime.mode, realtime.cost_usd) == ("realtime", realtime.realtime_cost_usd)
    assert (deferred.mode, deferred.cost_usd) == ("deferred", deferred.deferred_cost_usd)
    # Each call rounds to 8 decimals on its own: half, within a rounding step per call.
    gap = abs(deferred.deferred_cost_usd * 2 - realtime.realtime_cost_usd)
    assert gap <= Decimal("0.00000001") * realtime.calls
    assert deferred.deferred_cost_usd > 0

"""The worker's mirror of a key's rate-limit buckets (pure: time is an argument)."""

import pytest

from strata.worker.rate_limits import (
    BucketState,
    Cost,
    Level,
    RateLimitReport,
    Reported,
    give_back,
    learn,
    parse_headers,
    refilled,
    take,
    throttled,
)


def state(**levels: tuple[int, float]) -> BucketState:
    return BucketState(0.0, {d: Level(*v) for d, v in levels.items()})


def test_headers_are_read_per_dimension_and_bad_values_are_skipped():
    report = parse_headers(
        {
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "-3",
            "anthropic-ratelimit-input-tokens-limit": "0",
            "anthropic-ratelimit-input-tokens-remaining": "10",
            "anthropic-ratelimit-output-tokens-limit": "8000",
        }
    )
    assert report.dims == {"requests": Reported(50, 0)}
    assert not parse_headers({}).advertised


def test_refill_is_continuous_and_capped_at_the_limit():
    s = refilled(state(input_tokens=(6000, 0.0)), 1.5)
    assert s.levels["input_tokens"].level == pytest.approx(150.0) and s.at == 1.5
    assert refilled(s, 1000.0).levels["input_tokens"].level == 6000.0
    assert refilled(s, 0.5).at == 1.5  # a clock read out of order never winds the state back


def test_take_debits_every_dimension_when_each_holds_the_cost():
    s, wait = take(
        state(requests=(60, 5.0), input_tokens=(6000, 1000.0)),
        Cost(1, 400, 50),
        0.0,
        headroom=0.0,
    )
    assert wait == 0.0
    assert s.levels["requests"].level == 4.0 and s.levels["input_tokens"].level == 600.0


def test_take_waits_for_the_scarcest_dimension_plus_headroom_and_debits_nothing():
    before = state(requests=(60, 5.0), input_tokens=(6000, 100.0))
    s, wait = take(before, Cost(1, 400, 0), 0.0, headroom=0.01)  # needs 460 at 100/s
    assert wait == pytest.approx(3.6)
    assert s.levels == before.levels
    s, wait = take(s, Cost(1, 400, 0), 3.6, headroom=0.01)
    assert wait == pytest.approx(0.0) and s.levels["input_tokens"].level == pytest.approx(60.0)


def test_a_cost_above_the_whole_limit_needs_a_full_bucket_not_forever():
    _, wait = take(state(input_tokens=(6000, 0.0)), Cost(0, 9000, 0), 0.0, headroom=0.02)
    assert wait == pytest.approx(60.0)


def test_give_back_returns_what_was_reserved_and_not_used():
    s = state(input_tokens=(6000, 0.0), output_tokens=(1000, 100.0))
    s = give_back(s, 0.0, reserved=Cost(1, 500, 800), used=Cost(1, 450, 60))
    assert s.levels["input_tokens"].level == 50.0 and s.levels["output_tokens"].level == 840.0
    full = give_back(s, 0.0, reserved=Cost(0, 0, 5000), used=Cost())
    assert full.levels["output_tokens"].level == 1000.0  # never above the limit


def test_learn_starts_new_buckets_from_the_reported_remaining_less_the_rounding():
    s = learn(None, 10.0, RateLimitReport({"input_tokens": Reported(30000, 18000)}))
    assert s.at == 10.0 and s.levels["input_tokens"] == Level(30000, 17500.0)
    s = learn(s, 10.0, RateLimitReport({"input_tokens": Reported(10000, 9000)}))
    assert s.levels["input_tokens"] == Level(10000, 10000.0)  # a lower limit caps the level
    assert (
        "requests" not in learn(s, 10.0, RateLimitReport({"output_tokens": Reported(5, 5)})).levels
    )


def test_a_429_holds_the_key_until_retry_after_and_believes_the_provider():
    s = throttled(
        state(requests=(60, 30.0), input_tokens=(6000, 3000.0)),
        0.0,
        report=RateLimitReport({"requests": Reported(60, 40), "input_tokens": Reported(6000, 200)}),
        retry_after_s=4.0,
    )
    assert s.hold_until == 4.0
    assert s.levels["requests"].level == 30.0 and s.levels["input_tokens"].level == 200.0
    _, wait = take(s, Cost(1, 10, 0), 1.0, headroom=0.0)
    assert wait == pytest.approx(3.0)  # held, though the buckets hold the cost


def test_the_state_round_trips_through_json():
    s = BucketState(5.0, {"input_tokens": Level(6000, -12.5)}, hold_until=9.0)
    assert BucketState.from_json(s.to_json()) == s

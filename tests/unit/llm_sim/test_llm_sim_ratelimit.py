"""The simulator's per-key rate limits: bucket math on an injected clock, and the HTTP surface
(headers on every answer, 429 + retry-after, nothing charged for a refused or failed request)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from strata.llm_sim.ratelimit import Bucket, Limits, RateLimitedError, RateLimiter
from strata.llm_sim.tokens import total_tokens

from .helpers import build_body

WALL = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **limits: int) -> RateLimiter:
    return RateLimiter(Limits(**limits), remaining_rounding=1, clock=clock, wall=lambda: WALL)


def test_a_bucket_refills_continuously_up_to_its_limit():
    bucket = Bucket(limit=600, level=0.0, at=0.0)
    bucket.refill(1.5)  # 10 per second
    assert bucket.level == pytest.approx(15.0)
    bucket.refill(1000.0)
    assert bucket.level == 600.0
    bucket.level = -20.0
    assert bucket.shortfall_s(30) == pytest.approx(5.0)  # 50 tokens at 10/s
    assert bucket.shortfall_s(10_000) == pytest.approx(62.0)  # a cost above the limit: full


def test_admission_debits_every_limit_and_refuses_with_the_wait_in_whole_seconds():
    clock = Clock()
    rl = limiter(clock, requests_per_minute=60, input_tokens_per_minute=6000)
    rl.admit("k", "m", input_tokens=5000, max_tokens=100)
    with pytest.raises(RateLimitedError) as refused:
        rl.admit("k", "m", input_tokens=2000, max_tokens=100)
    # 1000 left, 100/s: 10 s until 2000; nothing was charged by the refusal
    assert refused.value.retry_after_s == 10 and refused.value.which == ["input-tokens"]
    assert refused.value.headers["retry-after"] == "10"
    assert refused.value.headers["anthropic-ratelimit-input-tokens-remaining"] == "1000"
    assert refused.value.headers["anthropic-ratelimit-requests-remaining"] == "59"
    clock.now += 10
    rl.admit("k", "m", input_tokens=2000, max_tokens=100)
    assert (rl.admitted, rl.rejected) == (2, 1)


def test_keys_and_models_have_buckets_of_their_own():
    rl = limiter(Clock(), input_tokens_per_minute=1000)
    rl.admit("a", "m", input_tokens=1000, max_tokens=1)
    rl.admit("b", "m", input_tokens=1000, max_tokens=1)
    rl.admit("a", "other-model", input_tokens=1000, max_tokens=1)
    with pytest.raises(RateLimitedError):
        rl.admit("a", "m", input_tokens=1, max_tokens=1)


def test_output_is_charged_max_tokens_up_front_and_the_unused_part_comes_back():
    clock = Clock()
    rl = limiter(clock, output_tokens_per_minute=1000)
    ticket = rl.admit("k", "m", input_tokens=10, max_tokens=800)
    with pytest.raises(RateLimitedError):
        rl.admit("k", "m", input_tokens=10, max_tokens=800)  # 200 left
    ticket.settle(input_tokens=10, output_tokens=50)
    assert rl.headers("k", "m")["anthropic-ratelimit-output-tokens-remaining"] == "950"
    ticket.settle(input_tokens=10, output_tokens=0)  # settling twice changes nothing
    assert rl.headers("k", "m")["anthropic-ratelimit-output-tokens-remaining"] == "950"


def test_a_failed_request_costs_nothing():
    rl = limiter(Clock(), requests_per_minute=2, input_tokens_per_minute=1000)
    rl.admit("k", "m", input_tokens=900, max_tokens=1).cancel()
    headers = rl.headers("k", "m")
    assert headers["anthropic-ratelimit-requests-remaining"] == "2"
    assert headers["anthropic-ratelimit-input-tokens-remaining"] == "1000"


def test_headers_round_token_remainings_and_say_when_each_bucket_is_full():
    clock = Clock()
    rl = RateLimiter(
        Limits(
            requests_per_minute=50, input_tokens_per_minute=30_000, output_tokens_per_minute=8000
        ),
        clock=clock,
        wall=lambda: WALL,
    )
    rl.admit("k", "m", input_tokens=12_345, max_tokens=1000)
    headers = rl.headers("k", "m")
    assert headers["anthropic-ratelimit-input-tokens-limit"] == "30000"
    assert headers["anthropic-ratelimit-input-tokens-remaining"] == "18000"  # 17,655 → 18,000
    assert headers["anthropic-ratelimit-output-tokens-remaining"] == "7000"
    assert headers["anthropic-ratelimit-requests-remaining"] == "49"  # requests: exact
    # 12,345 tokens at 500/s: full in 24.69 s → the next whole second
    assert headers["anthropic-ratelimit-input-tokens-reset"] == "2026-01-01T12:00:25Z"
    assert headers["anthropic-ratelimit-tokens-limit"] == "38000"
    assert headers["anthropic-ratelimit-tokens-remaining"] == "25000"  # 17,655 + 7,000
    assert headers["anthropic-ratelimit-tokens-reset"] == "2026-01-01T12:00:25Z"
    assert headers["anthropic-ratelimit-requests-reset"] == "2026-01-01T12:00:02Z"  # 1.2 s


def test_no_limits_no_headers():
    assert limiter(Clock()).headers("k", "m") == {}


def test_limits_parse_refuses_unknown_keys_and_non_positive_values():
    assert Limits.parse({"input_tokens_per_minute": 5}).input_tokens_per_minute == 5
    for bad in ({"tokens": 5}, {"requests_per_minute": 0}, {"requests_per_minute": True}, []):
        with pytest.raises(ValueError):
            Limits.parse(bad)


# --- HTTP ------------------------------------------------------------------------------------


def test_every_answer_carries_the_headers_and_a_refusal_is_a_429_rate_limit_error(make_client):
    client = make_client(ratelimit_input_tokens_per_minute=1000, ratelimit_requests_per_minute=100)
    clock = Clock()
    client.app.state.limiter.clock = clock
    body = build_body([("b1", "x" * 2000)])  # ≈ 550 input tokens
    first = client.post("/v1/messages", json=body)
    assert first.status_code == 200
    assert first.headers["anthropic-ratelimit-input-tokens-limit"] == "1000"
    assert first.headers["anthropic-ratelimit-requests-remaining"] == "99"
    refused = client.post("/v1/messages", json=body)
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert int(refused.headers["retry-after"]) >= 1
    assert "anthropic-ratelimit-input-tokens-reset" in refused.headers
    clock.now += int(refused.headers["retry-after"])
    assert client.post("/v1/messages", json=body).status_code == 200
    stats = client.get("/_sim/stats").json()["rate_limits"]
    assert (stats["admitted"], stats["rejected"]) == (2, 1)


def test_cache_reads_do_not_count_against_the_input_limit(make_client):
    client = make_client(
        ratelimit_input_tokens_per_minute=2000,
        ratelimit_remaining_rounding=1,
        min_cacheable_tokens=1024,
    )
    client.app.state.limiter.clock = Clock()  # frozen: no refill between the calls
    body = build_body([("b1", "short")], system_padding="p" * 4400, cache_system=True)
    written = client.post("/v1/messages", json=body)
    assert written.status_code == 200, written.text
    usage = written.json()["usage"]
    charged = usage["input_tokens"] + usage["cache_creation_input_tokens"]
    assert charged == total_tokens(
        [body["system"][0]["text"], body["messages"][0]["content"][0]["text"]]
    )
    left = int(written.headers["anthropic-ratelimit-input-tokens-remaining"])
    assert left == 2000 - charged
    read = client.post("/v1/messages", json=body)  # the prefix is read: only the rest counts
    assert read.status_code == 200, read.text
    assert read.json()["usage"]["cache_read_input_tokens"] > 1000
    assert int(read.headers["anthropic-ratelimit-input-tokens-remaining"]) == (
        left - read.json()["usage"]["input_tokens"]
    )


def test_a_faulted_request_is_not_charged_and_its_error_carries_the_headers(make_client):
    client = make_client(ratelimit_requests_per_minute=5)
    client.app.state.limiter.clock = Clock()
    faulted = client.post(
        "/v1/messages", json=build_body([("b", "t")]), headers={"x-sim-fault": "server_error"}
    )
    assert faulted.status_code == 500
    assert faulted.headers["anthropic-ratelimit-requests-remaining"] == "5"


def test_limits_are_off_by_default_and_can_be_set_and_reset_at_run_time(make_client):
    client = make_client()
    body = build_body([("b", "t")])
    assert not any(
        h.startswith("anthropic-ratelimit") for h in client.post("/v1/messages", json=body).headers
    )
    assert client.post("/_sim/limits", json={"requests_per_minute": 1}).status_code == 200
    assert client.post("/v1/messages", json=body).status_code == 200
    assert client.post("/v1/messages", json=body).status_code == 429
    assert client.post("/_sim/limits", json={"requests_per_minute": -1}).status_code == 400
    client.post("/_sim/reset")
    assert client.post("/v1/messages", json=body).status_code == 200
    assert client.get("/_sim/stats").json()["rate_limits"]["limits"]["requests_per_minute"] is None

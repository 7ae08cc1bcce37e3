"""The worker's rate limiter on an in-memory shared store and a virtual clock: several limiters
(one per worker process) pacing one key, the probe while limits are unknown, the hold after a
429, a long run against the simulator's own bucket model with no refusal, and the adapter reading
the simulator's headers through the SDK."""

import asyncio

import httpx2
import pytest

from strata.contracts.overlays import ModelErrorCode
from strata.llm_sim import Settings, create_app
from strata.llm_sim.ratelimit import Limits, RateLimitedError
from strata.llm_sim.ratelimit import RateLimiter as ProviderBuckets
from strata.planning.prompt import PromptBlock, build_prompt
from strata.worker.limiter import Change, LimitedProvider, RateLimiter, T
from strata.worker.provider import AnthropicProvider, ModelError, ModelRequest, ModelResponse
from strata.worker.rate_limits import BucketState, Level, parse_headers

BUCKET = "platform:claude-sonnet-4-6"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class MemoryLimiterStore:
    """The shared row: one state per bucket, the shared (virtual) clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.states: dict[str, BucketState] = {}
        self.updates = 0

    async def update(self, bucket: str, change: Change[T]) -> T:
        self.updates += 1
        new, result = change(self.states.get(bucket), self.clock())
        if new is not None:
            self.states[bucket] = new
        return result


def limiter(store: MemoryLimiterStore, slept: list[float] | None = None) -> RateLimiter:
    async def sleep(seconds: float) -> None:
        store.clock.now += seconds  # virtual time: sleeping is the clock moving on
        if slept is not None:
            slept.append(seconds)

    return RateLimiter(store, headroom=0.02, sleep=sleep, jitter=lambda: 0.0)


def request(text: str = "x" * 4000, *, max_tokens: int = 200) -> ModelRequest:
    prompt = build_prompt(system="S" * 400, blocks=[PromptBlock("d:0", text)], cache=True)
    return ModelRequest("claude-sonnet-4-6", prompt.system, prompt.messages, max_tokens, 0.3)


def response(
    *, input_tokens: int, output: int = 20, read: int = 0, headers: dict | None = None
) -> ModelResponse:
    return ModelResponse(
        "{}",
        "end_turn",
        input_tokens,
        output,
        0,
        read,
        5,
        rate_limits=parse_headers(headers or {}),
    )


def limit_headers(limit: int, remaining: int) -> dict[str, str]:
    return {
        "anthropic-ratelimit-input-tokens-limit": str(limit),
        "anthropic-ratelimit-input-tokens-remaining": str(remaining),
    }


async def test_while_limits_are_unknown_one_call_at_a_time_finds_them_out():
    store = MemoryLimiterStore(Clock())
    rl = limiter(store)
    probe = await rl.acquire(BUCKET, request())
    assert probe.cost is None and probe.probe is not None
    second = asyncio.ensure_future(rl.acquire(BUCKET, request()))
    await asyncio.sleep(0)
    assert not second.done()  # queued behind the probe in this process
    await rl.finish(probe, response=response(input_tokens=1100, headers=limit_headers(6000, 5000)))
    ticket = await second
    assert ticket.cost is not None  # metered from now on: the limits are known
    assert store.states[BUCKET].levels["input_tokens"].limit == 6000


async def test_a_stalled_probe_holds_the_other_calls_only_until_its_deadline():
    store = MemoryLimiterStore(Clock())
    rl = RateLimiter(store, probe_wait_s=0.05)
    probe = await rl.acquire(BUCKET, request())
    assert probe.probe is not None
    other = await asyncio.wait_for(rl.acquire(BUCKET, request()), timeout=5)
    assert other.cost is None and other.probe is None  # unmetered, not stuck behind the probe
    assert (await rl.acquire(BUCKET, request())).probe is None  # past the deadline: no wait


async def test_a_key_that_advertises_no_limits_is_never_metered():
    store = MemoryLimiterStore(Clock())
    rl = limiter(store)
    await rl.finish(await rl.acquire(BUCKET, request()), response=response(input_tokens=10))
    updates = store.updates
    for _ in range(5):
        ticket = await rl.acquire(BUCKET, request())
        assert ticket.cost is None and ticket.probe is None
        await rl.finish(ticket, response=response(input_tokens=10))
    assert store.updates == updates  # no database round trip at all
    assert BUCKET not in store.states


async def test_the_estimate_is_the_prompt_less_what_the_same_system_prompt_read_last_time():
    store = MemoryLimiterStore(Clock())
    rl = limiter(store)
    cost, _ = rl.estimate(BUCKET, request())
    assert cost.requests == 1 and cost.output_tokens == 200
    system_tokens = 100  # 400 bytes
    first = await rl.acquire(BUCKET, request())
    await rl.finish(first, response=response(input_tokens=cost.input_tokens, read=system_tokens))
    again, _ = rl.estimate(BUCKET, request("y" * 4000))
    assert again.input_tokens == cost.input_tokens - system_tokens


async def test_processes_share_one_budget_and_wait_for_their_turn():
    store = MemoryLimiterStore(Clock())
    store.states[BUCKET] = BucketState(store.clock(), {"input_tokens": Level(6000, 2500.0)})
    slept: list[float] = []
    workers = [limiter(store, slept) for _ in range(3)]
    cost, _ = workers[0].estimate(BUCKET, request())  # ≈ 1,110 tokens; 100 tokens/s refill
    for worker in workers:
        await worker.acquire(BUCKET, request())
    # 2,500 held 2 calls (plus the 120-token headroom); the third waited for the refill (in
    # polls of at most 5 s, so a limit change or a 429 elsewhere is noticed)
    assert max(slept) <= 5.0
    assert sum(slept) == pytest.approx(
        (cost.input_tokens + 120 - (2500 - 2 * cost.input_tokens)) / 100
    )


async def test_a_429_holds_every_process_until_its_retry_after():
    store = MemoryLimiterStore(Clock())
    slept: list[float] = []
    first, other = limiter(store), limiter(store, slept)
    await first.finish(
        await first.acquire(BUCKET, request()),
        response=response(input_tokens=1000, headers=limit_headers(60000, 59000)),
    )
    refused = ModelError(
        ModelErrorCode.RATE_LIMITED,
        "429",
        retryable=True,
        retry_after_s=4.0,
        rate_limits=parse_headers(limit_headers(60000, 59000)),
    )
    await first.finish(await first.acquire(BUCKET, request()), error=refused)
    await other.acquire(BUCKET, request())
    assert sum(slept) == pytest.approx(4.0)


async def test_the_limited_provider_settles_the_ticket_whatever_the_call_did():
    store = MemoryLimiterStore(Clock())
    rl = limiter(store)

    class Failing:
        closed = False

        async def complete(self, request: ModelRequest) -> ModelResponse:
            raise ModelError(ModelErrorCode.OVERLOADED, "529", retryable=True)

        async def close(self) -> None:
            self.closed = True

    inner = Failing()
    provider = LimitedProvider(inner, rl, "platform")
    with pytest.raises(ModelError):
        await provider.complete(request())
    # the probe's lock was released: the next call is not stuck behind it
    with pytest.raises(ModelError):
        await asyncio.wait_for(provider.complete(request()), timeout=1)
    await provider.close()
    assert inner.closed


async def test_three_processes_use_the_whole_input_limit_without_a_single_429():
    """Sequential turns of three workers against the simulator's bucket model on one virtual
    clock: after the first full bucket is spent, the tokens admitted per second equal the limit's
    refill rate (less a little), and the provider never refuses."""
    clock = Clock()
    provider = ProviderBuckets(
        Limits(requests_per_minute=1000, input_tokens_per_minute=30_000), clock=clock
    )
    store = MemoryLimiterStore(clock)
    workers = [limiter(store) for _ in range(3)]
    cold = limiter(MemoryLimiterStore(clock))  # never told of a cache read: the whole prompt
    admitted: list[tuple[float, int]] = []
    for turn in range(240):
        worker = workers[turn % 3]
        req = request("z" * (2000 + 40 * (turn % 25)))  # packs of different sizes
        ticket = await worker.acquire(BUCKET, req)
        total = cold.estimate(BUCKET, req)[0].input_tokens
        read = 100 if turn > 0 else 0  # the system prompt (100 tokens) is cached after call 1
        try:
            charged = provider.admit("key", "m", input_tokens=total - read, max_tokens=200)
        except RateLimitedError as exc:
            pytest.fail(f"turn {turn}: the provider refused ({exc})")
        charged.settle(input_tokens=total - read, output_tokens=20)
        admitted.append((clock(), total - read))
        headers = provider.headers("key", "m")
        await worker.finish(
            ticket, response=response(input_tokens=total - read, read=read, headers=headers)
        )
    tokens = 0
    start = None
    for at, used in admitted:  # the window starts once a full bucket's worth was spent
        tokens += used
        if start is None and tokens > 30_000:
            start, window_tokens = at, 0
        elif start is not None:
            window_tokens += used
    use = window_tokens / (500 * (admitted[-1][0] - start))
    assert 0.95 <= use <= 1.0


async def test_the_worker_reads_the_simulators_headers_and_429_through_the_sdk():
    """The contract between the two sides: the Anthropic adapter, through the official SDK,
    reads the limits the simulator's headers report, on an answer and on a 429."""
    app = create_app(
        Settings(ratelimit_input_tokens_per_minute=3000, ratelimit_requests_per_minute=50)
    )
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as http:
        provider = AnthropicProvider(
            api_key="sim", base_url="http://llm-sim", timeout_s=5, http_client=http
        )
        answered = await provider.complete(request("q" * 8000))  # ≈ 2,130 input tokens
        assert answered.rate_limits is not None
        dims = answered.rate_limits.dims
        assert (dims["input_tokens"].limit, dims["requests"].limit) == (3000, 50)
        assert dims["input_tokens"].remaining == 1000  # 870 left, rounded to the thousand
        assert dims["requests"].remaining == 49
        with pytest.raises(ModelError) as refused:
            await provider.complete(request("q" * 8000))
    assert refused.value.error_code is ModelErrorCode.RATE_LIMITED and refused.value.retryable
    assert refused.value.retry_after_s is not None and refused.value.retry_after_s >= 1
    assert refused.value.rate_limits is not None and refused.value.rate_limits.advertised

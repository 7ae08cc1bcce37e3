"""The token rule and the prompt-cache accounting, without HTTP."""

from __future__ import annotations

import pytest

from strata.llm_sim.cache import PromptCache
from strata.llm_sim.prompt import Piece
from strata.llm_sim.tokens import tokens, total_tokens, truncate_to_tokens


@pytest.mark.parametrize(
    ("text", "expected"), [("", 0), ("a", 1), ("abcd", 1), ("abcde", 2), ("é" * 4, 2), ("€", 1)]
)
def test_token_rule(text: str, expected: int) -> None:
    assert tokens(text) == expected


def test_total_rounds_each_piece_separately() -> None:
    assert total_tokens(["a", "b", ""]) == 2


def test_truncate_respects_utf8_boundaries() -> None:
    cut = truncate_to_tokens("ab€€€", 1)  # 4-byte budget: "ab" + half a euro sign -> "ab"
    assert cut == "ab"
    assert truncate_to_tokens("short", 10) == "short"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pieces(
    prefix_tokens: int, *, tail: str = "question?", second_breakpoint: int = 0
) -> list[Piece]:
    out = [Piece("system", "system[0]", "s" * 4 * prefix_tokens, True)]
    if second_breakpoint:
        out.append(Piece("user", "messages[0][0]", "u" * 4 * second_breakpoint, True))
    out.append(Piece("user", "messages[0][1]", tail, False))
    return out


def make_cache(clock: FakeClock, **kw: int) -> PromptCache:
    return PromptCache(
        ttl_seconds=300,
        min_cacheable_tokens=kw.get("min_tokens", 1024),
        clock=clock,
        max_entries=kw.get("max_entries", 10_000),
    )


def test_write_then_read_within_ttl_then_expire() -> None:
    clock = FakeClock()
    cache = make_cache(clock)
    first = cache.account(api_key="k", model="m", pieces=pieces(2000))
    assert (
        first.cache_creation_input_tokens,
        first.cache_read_input_tokens,
        first.input_tokens,
    ) == (2000, 0, 3)
    clock.now += 299
    second = cache.account(api_key="k", model="m", pieces=pieces(2000, tail="another question"))
    assert (
        second.cache_creation_input_tokens,
        second.cache_read_input_tokens,
        second.input_tokens,
    ) == (0, 2000, 4)
    clock.now += 299  # the read refreshed the TTL
    assert (
        cache.account(api_key="k", model="m", pieces=pieces(2000)).cache_read_input_tokens == 2000
    )
    clock.now += 301
    assert cache.account(api_key="k", model="m", pieces=pieces(2000)).cache_read_input_tokens == 0


def test_prefix_below_minimum_is_never_cached() -> None:
    cache = make_cache(FakeClock())
    for _ in range(2):
        usage = cache.account(api_key="k", model="m", pieces=pieces(1023))
        assert (usage.cache_creation_input_tokens, usage.cache_read_input_tokens) == (0, 0)
        assert usage.input_tokens == 1023 + 3
    assert len(cache) == 0


def test_cache_is_per_key_and_model() -> None:
    cache = make_cache(FakeClock())
    cache.account(api_key="k", model="m", pieces=pieces(2000))
    assert (
        cache.account(api_key="other", model="m", pieces=pieces(2000)).cache_read_input_tokens == 0
    )
    assert cache.account(api_key="k", model="m2", pieces=pieces(2000)).cache_read_input_tokens == 0
    assert (
        cache.account(api_key="k", model="m", pieces=pieces(2000)).cache_read_input_tokens == 2000
    )


def test_read_last_hit_and_write_later_breakpoints() -> None:
    cache = make_cache(FakeClock())
    cache.account(api_key="k", model="m", pieces=pieces(2000))  # writes only the system prefix
    usage = cache.account(api_key="k", model="m", pieces=pieces(2000, second_breakpoint=500))
    assert usage.cache_read_input_tokens == 2000
    assert usage.cache_creation_input_tokens == 500
    assert usage.input_tokens == 3
    again = cache.account(api_key="k", model="m", pieces=pieces(2000, second_breakpoint=500))
    assert (again.cache_read_input_tokens, again.cache_creation_input_tokens) == (2500, 0)


def test_usage_always_sums_to_total() -> None:
    cache = make_cache(FakeClock(), min_tokens=10)
    for size in (5, 10, 50, 50, 7):
        request = pieces(size, second_breakpoint=size)
        u = cache.account(api_key="k", model="m", pieces=request)
        total = total_tokens(p.text for p in request)
        assert u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens == total


def test_bounded_eviction_of_oldest() -> None:
    cache = make_cache(FakeClock(), min_tokens=1, max_entries=3)
    for i in range(5):
        cache.account(api_key="k", model=f"m{i}", pieces=pieces(10))
    assert len(cache) == 3
    assert cache.account(api_key="k", model="m0", pieces=pieces(10)).cache_read_input_tokens == 0
    assert cache.account(api_key="k", model="m4", pieces=pieces(10)).cache_read_input_tokens == 10

"""Cache minimums by model, the 1-hour TTL and cache-miss diagnostics."""

from __future__ import annotations

from typing import Any

from strata.llm_sim import cache_rules
from strata.llm_sim.cache import PromptCache
from strata.llm_sim.prompt import Piece
from strata.planning import caching

from .helpers import build_body
from .test_llm_sim_tokens_cache import FakeClock

BLOCKS = [("1", "Invoice from ACME. Total 12 EUR.")]


def test_the_simulator_enforces_the_cost_models_table() -> None:
    assert cache_rules.MIN_CACHEABLE_TOKENS == caching.MIN_CACHEABLE_TOKENS
    assert cache_rules.UNKNOWN_MODEL_MIN_TOKENS == caching.UNKNOWN_MODEL_MIN_TOKENS


def _system(tokens_: int, ttl: str = "5m") -> list[Piece]:
    return [
        Piece("system", "system[0]", "s" * 4 * tokens_, True, ttl),
        Piece("user", "messages[0][0]", "q", False),
    ]


def test_minimum_follows_the_model() -> None:
    cache = PromptCache(ttl_seconds=300, min_cacheable_tokens=None)
    assert (
        cache.account(
            api_key="k", model="claude-opus-5", pieces=_system(600)
        ).cache_creation_input_tokens
        == 600
    )
    assert (
        cache.account(
            api_key="k", model="claude-sonnet-4-6", pieces=_system(1500)
        ).cache_creation_input_tokens
        == 0
    )
    assert (
        cache.account(
            api_key="k", model="claude-sonnet-4-6", pieces=_system(2100)
        ).cache_creation_input_tokens
        == 2100
    )


def test_one_hour_entries_outlive_five_minute_ones() -> None:
    clock = FakeClock()
    cache = PromptCache(ttl_seconds=300, min_cacheable_tokens=1024, clock=clock)
    hour = cache.account(api_key="k", model="m", pieces=_system(2000, "1h"))
    assert hour.cache_creation_1h_input_tokens == hour.cache_creation_input_tokens == 2000
    five = cache.account(api_key="k", model="m2", pieces=_system(2000))
    assert five.cache_creation_1h_input_tokens == 0
    clock.now += 1800
    assert (
        cache.account(api_key="k", model="m", pieces=_system(2000, "1h")).cache_read_input_tokens
        == 2000
    )
    assert cache.account(api_key="k", model="m2", pieces=_system(2000)).cache_read_input_tokens == 0


def _cached_body(padding: int, ttl: str | None = None, **kw: Any) -> dict[str, Any]:
    body = build_body(BLOCKS, system_padding="Rules. " * padding, cache_system=True, **kw)
    if ttl:
        body["system"][0]["cache_control"]["ttl"] = ttl
    return body


def test_ttl_over_http_and_refusals(client) -> None:
    usage = client.post("/v1/messages", json=_cached_body(1400, "1h")).json()["usage"]
    assert (
        usage["cache_creation"]
        == {
            "ephemeral_5m_input_tokens": 0,
            "ephemeral_1h_input_tokens": usage["cache_creation_input_tokens"],
        }
        and usage["cache_creation_input_tokens"] > 2048
    )
    bad = client.post("/v1/messages", json=_cached_body(10, "2h"))
    assert bad.status_code == 400 and "ttl" in bad.json()["error"]["message"]
    order = _cached_body(10, "5m")
    order["messages"][0]["content"][0]["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    assert client.post("/v1/messages", json=order).status_code == 400


def _diagnosed(client, body: dict[str, Any], previous: str | None) -> dict[str, Any]:
    response = client.post(
        "/v1/messages", json={**body, "diagnostics": {"previous_message_id": previous}}
    )
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def test_cache_miss_reasons(client) -> None:
    padding = 1400
    first = _diagnosed(client, _cached_body(padding), None)
    assert first["diagnostics"] is None  # a first turn: nothing to compare
    hit = _diagnosed(client, _cached_body(padding), first["id"])
    assert hit["diagnostics"] is None and hit["usage"]["cache_read_input_tokens"] > 0
    changed = _diagnosed(client, _cached_body(padding + 1), hit["id"])
    reason = changed["diagnostics"]["cache_miss_reason"]
    assert reason["type"] == "system_changed"
    assert reason["cache_missed_input_tokens"] == hit["usage"]["cache_read_input_tokens"]
    other_model = _diagnosed(client, _cached_body(padding, model="claude-opus-4-6"), hit["id"])
    assert other_model["diagnostics"]["cache_miss_reason"]["type"] == "model_changed"
    lost = _diagnosed(client, _cached_body(padding), "msg_unknown")
    assert lost["diagnostics"] == {"cache_miss_reason": {"type": "previous_message_not_found"}}
    # Under the model's minimum nothing diverged: the provider cannot say more.
    short = _diagnosed(client, _cached_body(10), None)
    again = _diagnosed(client, _cached_body(10), short["id"])
    assert again["diagnostics"] == {"cache_miss_reason": {"type": "unavailable"}}

"""The official anthropic SDK talks to the simulator in-process (no sockets)."""

from __future__ import annotations

import asyncio
import json

import anthropic
import pytest

from strata.llm_sim import Settings, create_app
from strata.llm_sim.answers import answer_for_block

from .helpers import SCHEMA, build_body

try:  # anthropic 2.x only accepts an httpx2 client; 0.x accepted httpx.
    import httpx2 as sdk_httpx
except ImportError:  # pragma: no cover - depends on the installed SDK
    import httpx as sdk_httpx


async def _run(app) -> tuple[object, object, str]:
    padding = "Rules. " * 1400  # ~2450 tokens: cacheable on Sonnet 4.6 (2048 minimum)
    body = build_body(
        [("D:0", "Total 99 USD."), ("D:1", "Nothing here")],
        system_padding=padding,
        cache_system=True,
    )
    async with sdk_httpx.AsyncClient(transport=sdk_httpx.ASGITransport(app=app)) as http:
        client = anthropic.AsyncAnthropic(
            api_key="sdk-key", base_url="http://llm-sim", http_client=http, max_retries=0
        )
        kwargs = {k: body[k] for k in ("model", "max_tokens", "system", "messages")}
        first = await client.messages.create(**kwargs)
        second = await client.messages.create(**kwargs)
        try:
            await client.messages.create(**kwargs, extra_headers={"x-sim-fault": "overloaded"})
        except anthropic.APIStatusError as exc:
            error = type(exc).__name__ + f":{exc.status_code}"
        else:  # pragma: no cover
            error = "no error"
    return first, second, error


def test_official_sdk_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLMSIM_FAULT_RATE", raising=False)
    first, second, error = asyncio.run(_run(create_app(Settings(fault_rate=0.0, fault_rules=None))))
    assert first.content[0].type == "text" and first.stop_reason == "end_turn"
    assert json.loads(first.content[0].text) == {
        "D:0": answer_for_block("Total 99 USD.", SCHEMA),
        "D:1": answer_for_block("Nothing here", SCHEMA),
    }
    assert (
        first.usage.cache_creation_input_tokens > 2048 and first.usage.cache_read_input_tokens == 0
    )
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert error.endswith(":529")  # SDK class name varies by version (OverloadedError in 2.x)

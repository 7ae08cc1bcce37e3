"""The HTTP surface: auth, validation, response shape, usage, cache and max_tokens."""

from __future__ import annotations

import json

from strata.llm_sim.answers import answer_for_block
from strata.llm_sim.tokens import tokens

from .helpers import SCHEMA, build_body

BLOCKS = [
    ("D:0", "Invoice from ACME. Total 1,200.50 EUR. URGENT!"),
    ("D:1", "Title: Lease <B> & co\nno amount"),
]


def request_total(body: dict) -> int:
    texts = [b["text"] for b in body["system"]]
    texts += [part["text"] for m in body["messages"] for part in m["content"]]
    return sum(tokens(t) for t in texts)


def test_health(client) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_response_shape_answer_and_usage(client) -> None:
    body = build_body(BLOCKS)
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 200
    assert response.headers["x-strata-simulated"] == "true"
    data = response.json()
    assert (
        data["id"].startswith("msg_sim_")
        and data["type"] == "message"
        and data["role"] == "assistant"
    )
    assert (
        data["model"] == body["model"]
        and data["stop_reason"] == "end_turn"
        and data["stop_sequence"] is None
    )
    text = data["content"][0]["text"]
    assert json.loads(text) == {uid: answer_for_block(t, SCHEMA) for uid, t in BLOCKS}
    assert json.loads(text)["D:1"]["title"] == "Lease <B> & co"  # entities unescaped
    assert data["usage"] == {
        "input_tokens": request_total(body),
        "output_tokens": tokens(text),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
    }
    assert data["diagnostics"] is None  # not asked for


def test_both_auth_header_styles(make_client) -> None:
    client = make_client()
    body = build_body(BLOCKS)
    assert client.post("/v1/messages", json=body, headers={"x-api-key": "abc"}).status_code == 200
    bearer = client.post(
        "/v1/messages", json=body, headers={"x-api-key": "", "authorization": "Bearer abc"}
    )
    assert bearer.status_code == 200


def test_missing_and_invalid_key_are_401(make_client) -> None:
    client = make_client(invalid_keys="bad-1,bad-2")
    body = build_body(BLOCKS)
    missing = client.post("/v1/messages", json=body, headers={"x-api-key": ""})
    assert missing.status_code == 401
    assert (
        missing.json()["type"] == "error"
        and missing.json()["error"]["type"] == "authentication_error"
    )
    assert client.post("/v1/messages", json=body, headers={"x-api-key": "bad-2"}).status_code == 401


def test_invalid_requests_are_400(client) -> None:
    body = build_body(BLOCKS)
    for broken in (
        {**body, "stream": True},
        {k: v for k, v in body.items() if k != "max_tokens"},
        {**body, "messages": []},
        {**body, "model": ""},
    ):
        response = client.post("/v1/messages", json=broken)
        assert response.status_code == 400, broken
        assert response.json()["error"]["type"] == "invalid_request_error"
    garbage = client.post(
        "/v1/messages", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 400


def test_no_block_tags_answers_last_user_message(client) -> None:
    body = build_body([])
    body["messages"] = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "Amount 42 only."},
    ]
    text = client.post("/v1/messages", json=body).json()["content"][0]["text"]
    assert json.loads(text) == {"block": answer_for_block("Amount 42 only.", SCHEMA)}


def test_blocks_spread_over_content_parts(client) -> None:
    body = build_body(BLOCKS)
    whole = body["messages"][0]["content"][0]["text"]
    cut = whole.index("</block>") + 3  # split a closing tag across two parts
    body["messages"][0]["content"] = [
        {"type": "text", "text": whole[:cut]},
        {"type": "text", "text": whole[cut:]},
    ]
    answer = json.loads(client.post("/v1/messages", json=body).json()["content"][0]["text"])
    assert list(answer) == ["D:0", "D:1"]


def test_max_tokens_truncates_to_a_prefix(client) -> None:
    full = client.post("/v1/messages", json=build_body(BLOCKS)).json()["content"][0]["text"]
    data = client.post("/v1/messages", json=build_body(BLOCKS, max_tokens=5)).json()
    assert data["stop_reason"] == "max_tokens" and data["usage"]["output_tokens"] == 5
    assert (
        full.startswith(data["content"][0]["text"])
        and len(data["content"][0]["text"].encode()) <= 20
    )


def test_cache_write_then_read_over_http(client) -> None:
    padding = "Instructions. " * 700  # ~2450 tokens: above Sonnet 4.6's 2048 minimum
    first = client.post(
        "/v1/messages", json=build_body(BLOCKS, system_padding=padding, cache_system=True)
    ).json()
    body = build_body(BLOCKS[:1], system_padding=padding, cache_system=True)
    second = client.post("/v1/messages", json=body).json()
    system_tokens = tokens(body["system"][0]["text"])
    assert first["usage"]["cache_creation_input_tokens"] == system_tokens
    assert first["usage"]["cache_read_input_tokens"] == 0
    usage = second["usage"]
    assert (
        usage["cache_read_input_tokens"] == system_tokens
        and usage["cache_creation_input_tokens"] == 0
    )
    assert usage["input_tokens"] + usage["cache_read_input_tokens"] == request_total(body)


def test_small_prefix_not_cached_over_http(client) -> None:
    body = build_body(BLOCKS, cache_system=True)  # far below 2048 tokens
    for _ in range(2):
        usage = client.post("/v1/messages", json=body).json()["usage"]
        assert usage["cache_read_input_tokens"] == usage["cache_creation_input_tokens"] == 0


def test_too_many_breakpoints_is_400(client) -> None:
    body = build_body(BLOCKS)
    body["messages"][0]["content"] = [
        {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
    ] * 5
    assert client.post("/v1/messages", json=body).status_code == 400


def test_count_tokens(client) -> None:
    body = build_body(BLOCKS)
    del body["max_tokens"]
    assert client.post("/v1/messages/count_tokens", json=body).json() == {
        "input_tokens": request_total(body)
    }


def test_stats_and_reset(client) -> None:
    client.post("/v1/messages", json=build_body(BLOCKS))
    stats = client.get("/_sim/stats").json()
    assert (
        stats["requests"] == 1
        and stats["statuses"] == {"200": 1}
        and stats["tokens"]["blocks"] == 2
    )
    client.post("/_sim/reset")
    assert client.get("/_sim/stats").json()["requests"] == 0

"""Fault injection: header-forced kinds, rules (admin and file), seeded rates."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .helpers import build_body

BLOCKS = [
    ("doc:1", "First block 10."),
    ("doc:2", "Second block POISON 20."),
    ("doc:3", "Third block 30."),
]
BODY = build_body(BLOCKS)


def uids(response) -> list[str]:
    return list(json.loads(response.json()["content"][0]["text"]))


@pytest.mark.parametrize(
    ("kind", "status", "error_type"),
    [
        ("rate_limited", 429, "rate_limit_error"),
        ("overloaded", 529, "overloaded_error"),
        ("server_error", 500, "api_error"),
        ("unauthorized", 401, "authentication_error"),
    ],
)
def test_error_kinds_via_header(make_client, kind: str, status: int, error_type: str) -> None:
    client = make_client(retry_after_seconds=7)
    response = client.post("/v1/messages", json=BODY, headers={"x-sim-fault": kind})
    assert response.status_code == status
    assert response.json() == {
        "type": "error",
        "error": {"type": error_type, "message": response.json()["error"]["message"]},
    }
    assert (response.headers.get("retry-after") == "7") == (kind == "rate_limited")
    assert client.get("/_sim/stats").json()["faults"] == {kind: 1}


def test_malformed_via_header(client) -> None:
    response = client.post("/v1/messages", json=BODY, headers={"x-sim-fault": "malformed"})
    assert response.status_code == 200 and response.json()["stop_reason"] == "end_turn"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.json()["content"][0]["text"])


def test_drop_block_via_header_drops_last(client) -> None:
    response = client.post("/v1/messages", json=BODY, headers={"x-sim-fault": "drop_block"})
    assert uids(response) == ["doc:1", "doc:2"]


def test_stall_then_answers(make_client) -> None:
    client = make_client(stall_seconds=0.05)
    response = client.post("/v1/messages", json=BODY, headers={"x-sim-fault": "stall"})
    assert response.status_code == 200 and uids(response) == ["doc:1", "doc:2", "doc:3"]


def test_unknown_fault_header_is_400(client) -> None:
    assert (
        client.post("/v1/messages", json=BODY, headers={"x-sim-fault": "nope"}).status_code == 400
    )
    assert (
        client.post("/v1/messages", json=BODY, headers={"x-sim-fault-rate": "2"}).status_code == 400
    )


def test_rule_by_block_uid_with_times(client) -> None:
    rules = [{"kind": "drop_block", "block_uid_contains": "doc:2", "times": 2}]
    assert client.post("/_sim/rules", json=rules).json() == {"rules": 1}
    assert uids(client.post("/v1/messages", json=BODY)) == ["doc:1", "doc:3"]
    assert uids(client.post("/v1/messages", json=BODY)) == ["doc:1", "doc:3"]
    assert uids(client.post("/v1/messages", json=BODY)) == [
        "doc:1",
        "doc:2",
        "doc:3",
    ]  # times exhausted
    other = build_body([("doc:9", "x")])
    client.post("/_sim/rules", json=[{"kind": "overloaded", "block_uid_contains": "doc:2"}])
    assert client.post("/v1/messages", json=other).status_code == 200  # no block matches
    assert client.post("/v1/messages", json=BODY).status_code == 529


def test_rule_by_text_drops_that_block(client) -> None:
    client.post("/_sim/rules", json=[{"kind": "drop_block", "text_contains": "POISON"}])
    assert uids(client.post("/v1/messages", json=BODY)) == ["doc:1", "doc:3"]


def test_invalid_rules_rejected(client) -> None:
    for bad in (
        [{"kind": "nope"}],
        [{"kind": "stall", "rat": 1}],
        {"kind": "stall"},
        [{"rate": 0.5}],
    ):
        assert client.post("/_sim/rules", json=bad).status_code == 400


def test_rule_file_reloaded_on_change(make_client, tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps([{"kind": "server_error", "times": 1}]))
    client = make_client(fault_rules=str(path))
    assert client.post("/v1/messages", json=BODY).status_code == 500
    assert client.post("/v1/messages", json=BODY).status_code == 200
    path.write_text(json.dumps([{"kind": "rate_limited", "block_uid_contains": "doc:3"}]))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))  # coarse mtime clocks: force a change
    assert client.post("/v1/messages", json=BODY).status_code == 429


def test_seeded_rate_is_reproducible(make_client) -> None:
    def run() -> list[int]:
        client = make_client(fault_rate=0.5, fault_seed=42, fault_kinds="overloaded,server_error")
        return [client.post("/v1/messages", json=BODY).status_code for _ in range(30)]

    first = run()
    assert first == run()
    assert {200, 500, 529} <= set(first)


def test_header_rate_overrides_settings(client) -> None:
    statuses = {
        client.post("/v1/messages", json=BODY, headers={"x-sim-fault-rate": "1"}).status_code
        for _ in range(5)
    }
    assert statuses <= {429, 500, 529} and statuses
    forced = client.post(
        "/v1/messages", json=BODY, headers={"x-sim-fault": "overloaded", "x-sim-fault-rate": "0"}
    )
    assert forced.status_code == 200


def test_reset_clears_rules(client) -> None:
    client.post("/_sim/rules", json=[{"kind": "server_error"}])
    assert client.post("/v1/messages", json=BODY).status_code == 500
    client.post("/_sim/reset")
    assert client.post("/v1/messages", json=BODY).status_code == 200

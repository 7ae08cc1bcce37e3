"""The client's lists walk every page, a short 429 is waited out, errors carry the request id."""

import httpx
import pytest

from strata.client import StrataApiError, StrataClient


def _client(handler) -> StrataClient:
    client = StrataClient("http://gw", "strata_x")
    client._http = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://gw")
    return client


def test_lists_walk_every_page():
    pages = {None: (["a", "b"], "c1"), "c1": (["c"], None)}

    def handler(request: httpx.Request) -> httpx.Response:
        items, cursor = pages[request.url.params.get("cursor")]
        return httpx.Response(
            200, json={"items": [{"id": i} for i in items], "next_cursor": cursor}
        )

    assert [p["id"] for p in _client(handler).projects()] == ["a", "b", "c"]


def test_a_short_rate_limit_is_waited_out_and_a_long_one_raised():
    answers = [
        httpx.Response(
            429,
            headers={"retry-after": "0"},
            json={"error": {"code": "rate_limited", "message": "m"}},
        ),
        httpx.Response(200, json={"id": "p"}),
    ]
    assert _client(lambda request: answers.pop(0)).create_project("p") == {"id": "p"}

    def always_limited(request: httpx.Request) -> httpx.Response:
        error = {"code": "rate_limited", "message": "slow down", "request_id": "rid-1"}
        return httpx.Response(429, headers={"retry-after": "3600"}, json={"error": error})

    with pytest.raises(StrataApiError) as raised:
        _client(always_limited).create_project("p")
    assert raised.value.code == "rate_limited" and raised.value.request_id == "rid-1"

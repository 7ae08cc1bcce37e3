"""Assertions on the API's error shape, shared by the tiers that speak HTTP."""

from collections.abc import Callable
from typing import Any

import pytest

from strata.client import StrataApiError


def assert_error(response: Any, status: int, code: str) -> str:
    """The response is `{"error": {"code", "message"}}` with this status and code; its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return str(body["error"]["message"])


def raised_api_error(call: Callable[[], object]) -> StrataApiError:
    """The StrataApiError a client call raises (the test fails if it raises none)."""
    with pytest.raises(StrataApiError) as caught:
        call()
    return caught.value

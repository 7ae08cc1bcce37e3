"""Provider endpoints of user keys: https, or http on this machine only."""

import pytest

from strata.contracts.keys import Provider
from strata.gateway.domain.keys_store import InvalidBaseUrlError, check_base_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, None),
        ("https://api.example.com/", "https://api.example.com"),
        ("http://localhost:8000/v1", "http://localhost:8000/v1"),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
        ("http://[::1]:8080/v1/", "http://[::1]:8080/v1"),
    ],
)
def test_accepted(url, expected):
    assert check_base_url(Provider.ANTHROPIC, url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "ftp://example.com",
        "https://user:pw@example.com",
        "https://example.com/?key=1",
        "example.com",
        "http://10.0.0.5:8000",
    ],
)
def test_refused(url):
    with pytest.raises(InvalidBaseUrlError):
        check_base_url(Provider.ANTHROPIC, url)


def test_openai_compatible_needs_an_endpoint():
    with pytest.raises(InvalidBaseUrlError):
        check_base_url(Provider.OPENAI_COMPATIBLE, None)
    assert check_base_url(Provider.OPENAI_COMPATIBLE, "http://localhost:11434/v1")

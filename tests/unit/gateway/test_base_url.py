"""Provider endpoints of user keys: https to public addresses, or to hosts the deployment
allows (STRATA_ALLOWED_PRIVATE_HOSTS)."""

import pytest

from strata.contracts.keys import Provider
from strata.gateway.domain.keys_store import InvalidBaseUrlError, check_base_url, reachable
from strata.runtime.egress import EgressRefusedError, check_addresses, parse_allowed

ALLOWED = parse_allowed("localhost, 127.0.0.1:8787,[::1]")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, None),
        ("https://api.example.com/", "https://api.example.com"),
        ("http://localhost:8000/v1", "http://localhost:8000/v1"),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
    ],
)
def test_accepted(url, expected):
    assert check_base_url(Provider.ANTHROPIC, url, allowed=ALLOWED) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "ftp://example.com",
        "https://user:pw@example.com",
        "https://example.com/?key=1",
        "example.com",
        "http://10.0.0.5:8000",
        "http://127.0.0.1:9999",  # allowed host, other port
        "https://example.com:99999",
    ],
)
def test_refused(url):
    with pytest.raises(InvalidBaseUrlError):
        check_base_url(Provider.ANTHROPIC, url, allowed=ALLOWED)


def test_nothing_local_without_the_setting():
    with pytest.raises(InvalidBaseUrlError):
        check_base_url(Provider.ANTHROPIC, "http://localhost:8000")


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1",
        "https://10.1.2.3/v1",
        "https://169.254.169.254",
        "https://[::1]:443",
        "https://[::ffff:10.0.0.1]",
        "https://100.64.1.1",
        "https://0.0.0.0",
        "https://localhost:8443",  # resolves to loopback
    ],
)
async def test_private_addresses_are_unreachable_unless_allowed(url):
    with pytest.raises(InvalidBaseUrlError):
        await reachable(url, allowed=frozenset())


async def test_allowed_and_public_literals_are_reachable():
    await reachable("https://8.8.8.8/v1", allowed=frozenset())
    await reachable("http://127.0.0.1:8787", allowed=ALLOWED)
    await reachable("http://localhost:1234", allowed=ALLOWED)


def test_every_resolved_address_must_be_public():
    check_addresses("a.example", 443, ["8.8.8.8", "2606:4700::1111"], frozenset())
    with pytest.raises(EgressRefusedError):  # one private answer among public ones is enough
        check_addresses("a.example", 443, ["8.8.8.8", "10.0.0.1"], frozenset())
    with pytest.raises(EgressRefusedError):
        check_addresses("a.example", 443, [], frozenset())


def test_openai_compatible_needs_an_endpoint():
    with pytest.raises(InvalidBaseUrlError):
        check_base_url(Provider.OPENAI_COMPATIBLE, None)
    allowed = parse_allowed("localhost")
    assert check_base_url(Provider.OPENAI_COMPATIBLE, "http://localhost:11434/v1", allowed=allowed)

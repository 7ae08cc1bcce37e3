"""Webhook targets: public http(s) URLs only, unless the deployment allows private ones."""

import asyncio
import socket

import pytest

from strata.runtime.targets import TargetNotAllowedError, check_resolved, check_url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "/relative",
        "https://user:pw@example.com/hook",
        "https://example.com/hook#frag",
        "http://localhost:8080/hook",
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_malformed_and_local_targets_are_refused(url):
    with pytest.raises(TargetNotAllowedError):
        check_url(url, allow_private=False)


def test_public_targets_pass_and_the_deployment_may_allow_private_ones():
    assert check_url(" https://hooks.example.com/x ", allow_private=False) == (
        "https://hooks.example.com/x"
    )
    assert check_url("http://8.8.8.8/x", allow_private=False) == "http://8.8.8.8/x"
    assert check_url("http://127.0.0.1:9/x", allow_private=True) == "http://127.0.0.1:9/x"
    with pytest.raises(TargetNotAllowedError):
        check_url("ftp://127.0.0.1/x", allow_private=True)  # the shape rules always hold


async def test_a_name_is_resolved_before_sending_and_refused_when_it_is_private(monkeypatch):
    loop = asyncio.get_running_loop()
    answers = {"inside.example": "10.0.0.5", "outside.example": "93.184.215.14"}

    async def getaddrinfo(host, port, **_):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    with pytest.raises(TargetNotAllowedError, match="resolves to a private"):
        await check_resolved("https://inside.example/x", allow_private=False)
    await check_resolved("https://outside.example/x", allow_private=False)
    await check_resolved("https://inside.example/x", allow_private=True)

"""Where Strata may send requests on a user's behalf (webhook URLs): an absolute http(s) URL
without credentials whose host is, and resolves only to, public addresses — no loopback,
private, link-local (cloud metadata), multicast or reserved targets — unless the deployment
allows private targets (`STRATA_ALLOW_PRIVATE_TARGETS`, for on-premises receivers and tests).

The URL is checked when it is saved and its host is resolved again before every request, so a
name that later points inside the network is refused at send time (DNS rebinding). What counts
as a public address, and the resolution, are the egress rule of provider `base_url`s
(`strata.runtime.egress`); this module adds what a webhook URL must look like."""

import ipaddress
from urllib.parse import urlsplit

from strata.runtime import egress
from strata.runtime.settings import TargetSettings

__all__ = ["TargetNotAllowedError", "TargetSettings", "check_resolved", "check_url"]


class TargetNotAllowedError(ValueError):
    """The URL is not one Strata may call."""


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL as it will be called, or TargetNotAllowedError saying why not."""
    text = url.strip()
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise TargetNotAllowedError("the URL must be an absolute http(s) URL")
    if parts.username or parts.password or parts.fragment:
        raise TargetNotAllowedError("the URL must not carry credentials or a fragment")
    if allow_private:
        return text
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise TargetNotAllowedError("the URL must not point at this machine")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return text  # a name: resolved and checked before each request
    if not egress.is_public(str(literal)):
        raise TargetNotAllowedError("the URL must not point at a private or reserved address")
    return text


async def check_resolved(url: str, *, allow_private: bool) -> None:
    """Resolve the URL's host now; every address it resolves to must be public."""
    check_url(url, allow_private=allow_private)
    if allow_private:
        return
    try:
        await egress.check_url(url.strip(), allowed=frozenset())
    except egress.EgressRefusedError as exc:
        raise TargetNotAllowedError(str(exc)) from None

"""Where Strata may send requests on a user's behalf (webhook URLs): an absolute http(s) URL
without credentials whose host is, and resolves only to, public addresses — no loopback,
private, link-local (cloud metadata), multicast or reserved targets — unless the deployment
allows private targets (`STRATA_ALLOW_PRIVATE_TARGETS`, for on-premises receivers and tests).

The URL is checked when it is saved and its host is resolved again before every request, so a
name that later points inside the network is refused at send time (DNS rebinding).
Issue 9b is writing the shared egress rule for provider `base_url`s; this module should fold
into it once it lands."""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from strata.runtime.settings import TargetSettings

__all__ = ["TargetNotAllowedError", "TargetSettings", "check_resolved", "check_url"]


class TargetNotAllowedError(ValueError):
    """The URL is not one Strata may call."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


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
    if not _public(str(literal)):
        raise TargetNotAllowedError("the URL must not point at a private or reserved address")
    return text


async def check_resolved(url: str, *, allow_private: bool) -> None:
    """Resolve the URL's host now; every address it resolves to must be public."""
    check_url(url, allow_private=allow_private)
    if allow_private:
        return
    parts = urlsplit(url.strip())
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, port, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise TargetNotAllowedError(f"the host does not resolve: {exc.strerror or exc}") from None
    if not infos or not all(_public(str(info[4][0])) for info in infos):
        raise TargetNotAllowedError("the host resolves to a private or reserved address")

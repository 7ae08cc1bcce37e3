"""Where a user-supplied URL may send our requests (provider keys' `base_url`).

A tenant who could point a key at `http://10.0.0.5/` or `http://169.254.169.254/` would make the
gateway (validation) and the worker (model calls) reach into the deployment's own network. So a
user's URL must resolve only to public addresses: not private, loopback, link-local, multicast,
reserved, unspecified, shared (100.64/10) or IPv4-mapped forms of those. It is checked when the
key is saved and again, with a fresh DNS lookup, right before every call, so a name that
resolved publicly at save time and privately later (DNS rebinding) is refused then.
Operators can allow listed hosts (`STRATA_ALLOWED_PRIVATE_HOSTS="127.0.0.1:8787,localhost"`:
a host, or a host:port), e.g. the simulator in tests or an in-cluster gateway. Deployment URLs
set by the operator (`GATEWAY_ANTHROPIC_BASE_URL`, `WORKER_ANTHROPIC_BASE_URL`) are trusted and
not checked here.

The remaining gap: the HTTP client resolves the name again when it connects; a resolver that
answers differently within that instant can still win. Pinning the address in the transport
would close it.
"""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EgressSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STRATA_", extra="ignore")

    allowed_private_hosts: str = Field(
        "", description="comma-separated host or host:port that user URLs may reach privately"
    )

    def allowed(self) -> frozenset[str]:
        return parse_allowed(self.allowed_private_hosts)


class EgressRefusedError(ValueError):
    pass


def parse_allowed(value: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise EgressRefusedError("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise EgressRefusedError("the URL's port is not a number from 0 to 65535") from None
    return host, port


def is_allowed(host: str, port: int, allowed: frozenset[str]) -> bool:
    return host in allowed or f"{host}:{port}" in allowed


def check_addresses(host: str, port: int, addresses: list[str], allowed: frozenset[str]) -> None:
    """Pure: every address a host resolved to must be public, unless the host is allowed."""
    if is_allowed(host, port, allowed):
        return
    if not addresses:
        raise EgressRefusedError(f"{host} does not resolve")
    private = sorted({a for a in addresses if not is_public(a)})
    if private:
        raise EgressRefusedError(
            f"{host} resolves to a private, loopback or link-local address ({private[0]}); "
            "only public endpoints are allowed"
        )


async def check_url(url: str, *, allowed: frozenset[str], timeout_s: float = 5.0) -> None:
    """Resolve the URL's host now and refuse it unless every address is public (or allowed)."""
    host, port = _host_port(url)
    if is_allowed(host, port, allowed):
        return
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        addresses = [str(literal)]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout_s
            )
        except (OSError, TimeoutError):
            raise EgressRefusedError(f"{host} does not resolve") from None
        addresses = [str(info[4][0]) for info in infos]
    check_addresses(host, port, addresses, allowed)

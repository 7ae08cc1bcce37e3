"""User provider keys: sealed at rest (envelope encryption, `strata.crypto`), shown only as a
hint, and validated with one cheap call to the provider. The secret itself exists in memory only
while a request seals or validates it; it is never logged, traced or returned."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import asyncpg
import httpx

from strata.contracts.keys import KeyStatus, Provider
from strata.crypto import (
    DecryptError,
    MasterKey,
    open_secret,
    provider_key_context,
    seal_secret,
    secret_hint,
)
from strata.gateway.sql import Q
from strata.runtime.egress import EgressRefusedError, check_url, is_allowed

logger = logging.getLogger(__name__)
MAX_KEYS_PER_ACCOUNT = 20
ANTHROPIC_VERSION = "2023-06-01"


class InvalidBaseUrlError(ValueError):
    pass


def check_base_url(
    provider: Provider, url: str | None, *, allowed: frozenset[str] = frozenset()
) -> str | None:
    """A provider endpoint's shape: https (plain http only to a host the deployment allows,
    `STRATA_ALLOWED_PRIVATE_HOSTS`), no credentials, query or fragment. `openai_compatible`
    needs one (it has no default endpoint); Anthropic keys use the deployment's Anthropic
    endpoint when none is given. Where it may point is `reachable` (strata.runtime.egress)."""
    if url is None or not url.strip():
        if provider is Provider.OPENAI_COMPATIBLE:
            raise InvalidBaseUrlError("an openai_compatible key needs a base_url")
        return None
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidBaseUrlError("base_url must be an absolute http(s) URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidBaseUrlError("base_url has an invalid port") from None
    if parts.scheme == "http" and not is_allowed(host, port, allowed):
        raise InvalidBaseUrlError("base_url must use https")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidBaseUrlError("base_url must not carry credentials, a query or a fragment")
    return url.strip().rstrip("/")


async def reachable(url: str, *, allowed: frozenset[str]) -> None:
    """The endpoint resolves, now, only to public addresses (or is allowed): checked when a key
    is saved and again before each call with it. InvalidBaseUrlError otherwise."""
    try:
        await check_url(url, allowed=allowed)
    except EgressRefusedError as exc:
        raise InvalidBaseUrlError(f"base_url refused: {exc}") from None


@dataclass(frozen=True)
class Verdict:
    status: KeyStatus
    message: str


class ValidationUnavailableError(Exception):
    """The provider did not say whether the key is good (unreachable, 5xx, rate limited…)."""


async def _post_anthropic(
    client: httpx.AsyncClient, base: str, path: str, api_key: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"{base}{path}",
        headers={"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION},
        json=body,
    )


async def probe_key(
    *,
    provider: Provider,
    api_key: str,
    base_url: str,
    model: str,
    timeout_s: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Verdict:
    """One cheap authenticated call: Anthropic `count_tokens` (a 1-token message where the
    endpoint has no count_tokens), OpenAI-compatible `GET /models`. 2xx → valid, 401/403 →
    invalid; anything else is inconclusive and raises ValidationUnavailableError."""
    async with httpx.AsyncClient(timeout=timeout_s, transport=transport) as client:
        try:
            if provider is Provider.ANTHROPIC:
                messages = [{"role": "user", "content": "ping"}]
                response = await _post_anthropic(
                    client,
                    base_url,
                    "/v1/messages/count_tokens",
                    api_key,
                    {"model": model, "messages": messages},
                )
                if response.status_code in (404, 405):
                    response = await _post_anthropic(
                        client,
                        base_url,
                        "/v1/messages",
                        api_key,
                        {"model": model, "max_tokens": 1, "messages": messages},
                    )
            else:
                response = await client.get(
                    f"{base_url}/models", headers={"Authorization": f"Bearer {api_key}"}
                )
        except httpx.HTTPError as exc:
            # The exception text names the URL, never the key (it travels in a header).
            raise ValidationUnavailableError(
                f"the provider did not answer: {type(exc).__name__}"
            ) from None
    status = response.status_code
    if 200 <= status < 300:
        return Verdict(KeyStatus.VALID, f"accepted by the provider (HTTP {status})")
    if status in (401, 403):
        return Verdict(KeyStatus.INVALID, f"rejected by the provider (HTTP {status})")
    raise ValidationUnavailableError(f"the provider answered HTTP {status}; try again later")


class KeyUnreadableError(Exception):
    """The key was sealed under another master key (or tampered with); add it again."""


async def add_key(
    pool: asyncpg.Pool,
    master: MasterKey,
    *,
    account_id: UUID,
    provider: Provider,
    api_key: str,
    base_url: str | None,
    label: str | None,
) -> asyncpg.Record | None:
    """None when the account already holds MAX_KEYS_PER_ACCOUNT keys."""
    key_id = uuid4()
    sealed = seal_secret(master, api_key, context=provider_key_context(key_id, account_id))
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(Q.lock_account_keys, str(account_id))
        if await conn.fetchval(Q.count_keys, account_id) >= MAX_KEYS_PER_ACCOUNT:
            return None
        return await conn.fetchrow(
            Q.insert_key,
            key_id,
            account_id,
            provider.value,
            label,
            base_url,
            secret_hint(api_key),
            sealed,
            master.key_id,
        )


async def open_key(
    pool: asyncpg.Pool, master: MasterKey, *, key_id: UUID, account_id: UUID
) -> tuple[Any, str] | None:
    """(row, secret) or None for an unknown key; KeyUnreadableError when it does not open."""
    row = await pool.fetchrow(Q.get_key_secret, key_id, account_id)
    if row is None:
        return None
    try:
        secret = open_secret(
            master, row["secret_sealed"], context=provider_key_context(key_id, account_id)
        )
    except DecryptError:
        raise KeyUnreadableError(KeyUnreadableError.__doc__) from None
    return row, secret


# The rows below carry the public columns only: the sealed secret leaves the table only through
# open_key.


async def list_keys(
    pool: asyncpg.Pool,
    *,
    account_id: UUID,
    after_at: datetime | None = None,
    after_id: UUID | None = None,
    limit: int = MAX_KEYS_PER_ACCOUNT + 1,
) -> list[asyncpg.Record]:
    """Newest first, after a (created_at, id) cursor."""
    return await pool.fetch(Q.list_keys, account_id, after_at, after_id, limit)


async def get_key(pool: asyncpg.Pool, *, key_id: UUID, account_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow(Q.get_key, key_id, account_id)


async def delete_key(pool: asyncpg.Pool, *, key_id: UUID, account_id: UUID) -> bool:
    """False for an unknown key (or another account's)."""
    return await pool.fetchval(Q.delete_key, key_id, account_id) is not None


async def mark_key(
    pool: asyncpg.Pool, *, key_id: UUID, account_id: UUID, verdict: Verdict
) -> asyncpg.Record | None:
    """The key with its new status; None when it was deleted meanwhile."""
    return await pool.fetchrow(
        Q.mark_key, key_id, account_id, verdict.status.value, verdict.message
    )

"""An account's API tokens: several per account, named, optionally expiring, revocable.

The token text exists only in the answer that creates it (stored as sha256 with a 4-character
hint). Revoking sets `revoked_at`; authentication reads the table on every request (no cache),
so a revoked or expired token is refused at once by every gateway process."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg

from strata.gateway.sql import Q
from strata.gateway.web.tokens import hash_token, new_token, token_hint

MAX_LIVE_TOKENS = 50


def expiry(*, ttl_seconds: int | None, now: datetime) -> datetime | None:
    """When the token stops working: now + ttl, or never. Pure."""
    return None if ttl_seconds is None else now + timedelta(seconds=ttl_seconds)


async def create_token(
    pool: asyncpg.Pool, *, account_id: UUID, name: str | None, expires_at: datetime | None
) -> tuple[asyncpg.Record, str] | None:
    """(row, token text), or None when the account already holds MAX_LIVE_TOKENS live tokens."""
    token = new_token()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(Q.lock_account_keys, f"tokens:{account_id}")
        if await conn.fetchval(Q.count_live_tokens, account_id) >= MAX_LIVE_TOKENS:
            return None
        row = await conn.fetchrow(
            Q.insert_named_token,
            uuid4(),
            account_id,
            hash_token(token),
            token_hint(token),
            name,
            expires_at,
        )
    return row, token


async def list_tokens(
    pool: asyncpg.Pool,
    *,
    account_id: UUID,
    after_at: datetime | None,
    after_id: UUID | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await pool.fetch(Q.list_tokens, account_id, after_at, after_id, limit)


async def revoke_token(pool: asyncpg.Pool, *, token_id: UUID, account_id: UUID) -> bool:
    """False for an unknown token (or another account's)."""
    return await pool.fetchval(Q.revoke_token, token_id, account_id) is not None


def utcnow() -> datetime:
    return datetime.now(UTC)

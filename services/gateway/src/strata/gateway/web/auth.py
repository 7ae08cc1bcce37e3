"""Bearer API tokens: `Authorization: Bearer strata_...`, stored as sha256 at rest."""

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID, uuid4

import asyncpg
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from strata.gateway.sql import Q
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import ApiError
from strata.gateway.web.tokens import hash_token, new_token, token_hint

# auto_error=False: a missing header must answer our error shape, not FastAPI's.
_bearer = HTTPBearer(auto_error=False, description="an API token: `strata admin create-account`")


@dataclass(frozen=True)
class Account:
    id: UUID
    name: str
    is_superuser: bool
    token_id: UUID | None = None  # the token this request came with: audit says who acted


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


async def current_account(
    res: Res, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Account:
    if credentials is None or not credentials.credentials:
        raise _unauthorized("missing bearer token (Authorization: Bearer <token>)")
    row = await res.pool.fetchrow(Q.account_for_token, hash_token(credentials.credentials))
    if row is None:
        # One message for unknown, malformed and revoked tokens: nothing to probe.
        raise _unauthorized("invalid or revoked token")
    return Account(
        id=row["id"],
        name=row["name"],
        is_superuser=row["is_superuser"],
        token_id=row["token_id"],
    )


Caller = Annotated[Account, Depends(current_account)]


async def superuser(caller: Caller) -> Account:
    if not caller.is_superuser:
        raise ApiError(403, "forbidden", "only superusers may do this")
    return caller


Superuser = Annotated[Account, Depends(superuser)]


async def create_account(
    pool: asyncpg.Pool, name: str, superuser: bool = False
) -> tuple[UUID, str]:
    """A new account and its first token; the token text exists only in the return value."""
    account_id, token = uuid4(), new_token()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(Q.insert_account, account_id, name, superuser)
        await conn.execute(
            Q.insert_api_token, uuid4(), account_id, hash_token(token), token_hint(token)
        )
    return account_id, token

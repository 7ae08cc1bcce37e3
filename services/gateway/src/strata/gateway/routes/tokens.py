"""The caller's API tokens (`/v1/tokens`): create (the secret is shown once), list, revoke."""

from uuid import UUID

from fastapi import APIRouter, Response

from strata.gateway.api_models import ErrorBody, Page, Token, TokenCreate, TokenCreated
from strata.gateway.domain import tokens
from strata.gateway.web.auth import Caller
from strata.gateway.web.cursors import decode_keyset, next_keyset, split_page
from strata.gateway.web.deps import Cursor, Limit, Res
from strata.gateway.web.errors import ApiError, not_found

router = APIRouter(tags=["tokens"])


@router.post("/tokens", status_code=201, responses={409: {"model": ErrorBody}})
async def create_token(body: TokenCreate, caller: Caller, res: Res) -> TokenCreated:
    """A new token for the caller's account; `token` is in this answer only. 409
    `too_many_tokens` past the number of live tokens an account may hold."""
    expires_at = tokens.expiry(ttl_seconds=body.ttl_seconds, now=tokens.utcnow())
    made = await tokens.create_token(
        res.pool, account_id=caller.id, name=body.name, expires_at=expires_at
    )
    if made is None:
        raise ApiError(
            409,
            "too_many_tokens",
            f"an account holds at most {tokens.MAX_LIVE_TOKENS} live tokens; revoke one first",
        )
    row, secret = made
    return TokenCreated.model_validate({**dict(row), "token": secret})


@router.get("/tokens")
async def list_tokens(caller: Caller, res: Res, limit: Limit, cursor: Cursor = None) -> Page[Token]:
    """Every token of the account (revoked and expired ones too), newest first; never the
    secret."""
    after_at, after_id = decode_keyset(cursor)
    rows = await tokens.list_tokens(
        res.pool, account_id=caller.id, after_at=after_at, after_id=after_id, limit=limit + 1
    )
    page, more = split_page(rows, limit)
    return Page[Token](
        items=[Token.model_validate(dict(r)) for r in page], next_cursor=next_keyset(page, more)
    )


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(token_id: UUID, caller: Caller, res: Res) -> Response:
    """Revoke a token: it answers 401 from the next request on (it may be the caller's own)."""
    if not await tokens.revoke_token(res.pool, token_id=token_id, account_id=caller.id):
        raise not_found("token")
    return Response(status_code=204)

"""Provider keys of the caller's account (`/v1/keys`): add, list, show, delete, validate.

The secret goes in once (POST) and never comes back: answers carry a 4-character `hint`. Keys
are sealed with envelope encryption under STRATA_MASTER_KEY; without it these routes answer
503 `master_key_missing` (the rest of the API works)."""

from uuid import UUID

from fastapi import APIRouter, Response

from strata.contracts.keys import Provider
from strata.crypto import MasterKey
from strata.gateway.api_models import ErrorBody, Page, ProviderKey, ProviderKeyCreate
from strata.gateway.domain import keys_store
from strata.gateway.web.auth import Caller
from strata.gateway.web.cursors import decode_keyset, next_keyset, split_page
from strata.gateway.web.deps import Cursor, Limit, Res
from strata.gateway.web.errors import ApiError, not_found

router = APIRouter(tags=["provider keys"])


def _master(res: Res) -> MasterKey:
    master = res.settings.crypto.master()
    if master is None:
        raise ApiError(
            503,
            "master_key_missing",
            "provider keys are unavailable: the operator has not set STRATA_MASTER_KEY",
        )
    return master


@router.post(
    "/keys",
    status_code=201,
    responses={409: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
async def create_key(body: ProviderKeyCreate, caller: Caller, res: Res) -> ProviderKey:
    master = _master(res)
    secret = body.api_key.get_secret_value().strip()
    # Visible ASCII only: the key is sent in an HTTP header, where anything else cannot go.
    if not 8 <= len(secret) <= 500 or not all("!" <= c <= "~" for c in secret):
        raise ApiError(422, "invalid_request", "api_key: 8 to 500 visible ASCII characters")
    allowed = res.settings.egress.allowed()
    try:
        base_url = keys_store.check_base_url(body.provider, body.base_url, allowed=allowed)
        if base_url is not None:
            await keys_store.reachable(base_url, allowed=allowed)
    except keys_store.InvalidBaseUrlError as exc:
        raise ApiError(422, "invalid_base_url", str(exc)) from None
    row = await keys_store.add_key(
        res.pool,
        master,
        account_id=caller.id,
        provider=body.provider,
        api_key=secret,
        base_url=base_url,
        label=body.label,
    )
    if row is None:
        raise ApiError(
            409, "too_many_keys", f"an account holds at most {keys_store.MAX_KEYS_PER_ACCOUNT} keys"
        )
    return ProviderKey.model_validate(dict(row))


@router.get("/keys")
async def list_keys(
    caller: Caller, res: Res, limit: Limit, cursor: Cursor = None
) -> Page[ProviderKey]:
    """Newest first."""
    after_at, after_id = decode_keyset(cursor)
    rows = await keys_store.list_keys(
        res.pool, account_id=caller.id, after_at=after_at, after_id=after_id, limit=limit + 1
    )
    page, more = split_page(rows, limit)
    return Page[ProviderKey](
        items=[ProviderKey.model_validate(dict(r)) for r in page],
        next_cursor=next_keyset(page, more),
    )


@router.get("/keys/{key_id}")
async def get_key(key_id: UUID, caller: Caller, res: Res) -> ProviderKey:
    row = await keys_store.get_key(res.pool, key_id=key_id, account_id=caller.id)
    if row is None:
        raise not_found("key")
    return ProviderKey.model_validate(dict(row))


@router.delete("/keys/{key_id}", status_code=204)
async def delete_key(key_id: UUID, caller: Caller, res: Res) -> Response:
    if not await keys_store.delete_key(res.pool, key_id=key_id, account_id=caller.id):
        raise not_found("key")
    return Response(status_code=204)


@router.post(
    "/keys/{key_id}/validate",
    responses={
        409: {"model": ErrorBody},
        422: {"model": ErrorBody},
        502: {"model": ErrorBody},
        503: {"model": ErrorBody},
    },
)
async def validate_key(key_id: UUID, caller: Caller, res: Res) -> ProviderKey:
    """One cheap call with the key; marks it `valid` (2xx) or `invalid` (401/403) with the time.
    An inconclusive answer (unreachable, 5xx, 429) changes nothing and answers 502."""
    master = _master(res)
    try:
        opened = await keys_store.open_key(res.pool, master, key_id=key_id, account_id=caller.id)
    except keys_store.KeyUnreadableError as exc:
        raise ApiError(409, "key_unreadable", str(exc)) from None
    if opened is None:
        raise not_found("key")
    row, secret = opened
    provider = Provider(row["provider"])
    settings = res.settings
    try:
        if row["base_url"]:  # the user's endpoint, resolved again now (not the operator's)
            await keys_store.reachable(row["base_url"], allowed=settings.egress.allowed())
    except keys_store.InvalidBaseUrlError as exc:
        del secret
        raise ApiError(422, "invalid_base_url", str(exc)) from None
    try:
        verdict = await keys_store.probe_key(
            provider=provider,
            api_key=secret,
            base_url=row["base_url"] or settings.anthropic_base_url.rstrip("/"),
            model=settings.key_validation_model,
            timeout_s=settings.key_validation_timeout_s,
        )
    except keys_store.ValidationUnavailableError as exc:
        raise ApiError(502, "provider_unavailable", str(exc)) from None
    finally:
        del secret
    marked = await keys_store.mark_key(
        res.pool, key_id=key_id, account_id=caller.id, verdict=verdict
    )
    if marked is None:  # deleted while we asked the provider
        raise not_found("key")
    return ProviderKey.model_validate(dict(marked))

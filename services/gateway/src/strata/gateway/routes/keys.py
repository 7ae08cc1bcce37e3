"""Provider keys of the caller's account (`/v1/keys`): add, list, show, delete, validate.

The secret goes in once (POST) and never comes back: answers carry a 4-character `hint`. Keys
are sealed with envelope encryption under STRATA_MASTER_KEY; without it these routes answer
503 `master_key_missing` (the rest of the API works)."""

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, SecretStr

from strata.contracts.keys import KeyStatus, Provider
from strata.crypto import MasterKey
from strata.gateway.api_models import ApiRequest, ErrorBody, Page
from strata.gateway.auth import Caller
from strata.gateway.deps import Res
from strata.gateway.errors import ApiError, not_found
from strata.gateway.keys_store import (
    KQ,
    MAX_KEYS_PER_ACCOUNT,
    InvalidBaseUrlError,
    KeyUnreadableError,
    ValidationUnavailableError,
    add_key,
    check_base_url,
    open_key,
    probe_key,
)

router = APIRouter(tags=["provider keys"])


class ProviderKeyCreate(ApiRequest):
    provider: Provider = Provider.ANTHROPIC
    # SecretStr: never in a repr, a log line or a validation error message.
    api_key: SecretStr = Field(description="the provider's API key; never shown again")
    base_url: str | None = Field(
        None,
        max_length=500,
        description="https endpoint (http only for localhost); required for openai_compatible",
    )
    label: str | None = Field(None, max_length=200)


class ProviderKey(BaseModel):
    id: UUID
    provider: Provider
    label: str | None
    base_url: str | None
    hint: str = Field(description="the key's last characters; the key itself is never shown")
    status: KeyStatus
    status_message: str | None
    validated_at: datetime | None
    created_at: datetime


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
    if len(secret) < 8 or len(secret) > 500 or any(c.isspace() for c in secret):
        raise ApiError(422, "invalid_request", "api_key: 8 to 500 characters, no spaces")
    try:
        base_url = check_base_url(body.provider, body.base_url)
    except InvalidBaseUrlError as exc:
        raise ApiError(422, "invalid_base_url", str(exc)) from None
    row = await add_key(
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
            409, "too_many_keys", f"an account holds at most {MAX_KEYS_PER_ACCOUNT} keys"
        )
    return ProviderKey.model_validate(dict(row))


@router.get("/keys")
async def list_keys(caller: Caller, res: Res) -> Page[ProviderKey]:
    rows = await res.pool.fetch(KQ.list_keys, caller.id)
    return Page[ProviderKey](items=[ProviderKey.model_validate(dict(r)) for r in rows])


@router.get("/keys/{key_id}")
async def get_key(key_id: UUID, caller: Caller, res: Res) -> ProviderKey:
    row = await res.pool.fetchrow(KQ.get_key, key_id, caller.id)
    if row is None:
        raise not_found("key")
    return ProviderKey.model_validate(dict(row))


@router.delete("/keys/{key_id}", status_code=204)
async def delete_key(key_id: UUID, caller: Caller, res: Res) -> Response:
    if await res.pool.fetchval(KQ.delete_key, key_id, caller.id) is None:
        raise not_found("key")
    return Response(status_code=204)


@router.post(
    "/keys/{key_id}/validate",
    responses={409: {"model": ErrorBody}, 502: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
async def validate_key(key_id: UUID, caller: Caller, res: Res) -> ProviderKey:
    """One cheap call with the key; marks it `valid` (2xx) or `invalid` (401/403) with the time.
    An inconclusive answer (unreachable, 5xx, 429) changes nothing and answers 502."""
    master = _master(res)
    try:
        opened = await open_key(res.pool, master, key_id=key_id, account_id=caller.id)
    except KeyUnreadableError as exc:
        raise ApiError(409, "key_unreadable", str(exc)) from None
    if opened is None:
        raise not_found("key")
    row, secret = opened
    provider = Provider(row["provider"])
    settings = res.settings
    try:
        verdict = await probe_key(
            provider=provider,
            api_key=secret,
            base_url=row["base_url"] or settings.anthropic_base_url.rstrip("/"),
            model=settings.key_validation_model,
            timeout_s=settings.key_validation_timeout_s,
        )
    except ValidationUnavailableError as exc:
        raise ApiError(502, "provider_unavailable", str(exc)) from None
    finally:
        del secret
    marked = await res.pool.fetchrow(
        KQ.mark_key, key_id, caller.id, verdict.status.value, verdict.message
    )
    if marked is None:  # deleted while we asked the provider
        raise not_found("key")
    return ProviderKey.model_validate(dict(marked))

"""Webhook subscriptions of a project and their deliveries (made by strata-notify).

The signing secret is returned once, by the POST that creates the subscription; it is sealed
under STRATA_MASTER_KEY (without it these routes answer 503 `master_key_missing`)."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from strata.contracts.routing import NOTIFICATIONS
from strata.crypto import MasterKey
from strata.gateway.api_models import (
    ErrorBody,
    Page,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookDelivery,
    WebhookDeliveryPage,
    WebhookUpdate,
)
from strata.gateway.domain import webhooks
from strata.gateway.routes.projects import require_project
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.cursors import split_page
from strata.gateway.web.deps import Limit, Res
from strata.gateway.web.errors import ApiError, not_found

router = APIRouter(tags=["webhooks"])
EVENT_TYPES = tuple(route.routing_key for route in NOTIFICATIONS)
_REJECTED: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody}, 503: {"model": ErrorBody}}


def _master(res: Res) -> MasterKey:
    master = res.settings.crypto.master()
    if master is None:
        raise ApiError(
            503,
            "master_key_missing",
            "webhooks are unavailable: the operator has not set STRATA_MASTER_KEY",
        )
    return master


def _rejected(exc: webhooks.WebhookRejectedError) -> ApiError:
    return ApiError(409 if exc.code == "too_many_webhooks" else 422, exc.code, str(exc))


@router.post("/projects/{project_id}/webhooks", status_code=201, responses=_REJECTED)
async def create_webhook(
    project_id: UUID, body: WebhookCreate, caller: Caller, res: Res
) -> WebhookCreated:
    master = _master(res)
    await require_project(res.pool, project_id, caller.id)
    allow = res.settings.targets.allow_private_targets
    try:
        url = webhooks.target(body.url, allow_private=allow)
        types = webhooks.event_types(body.event_types, known=EVENT_TYPES)
        secret = webhooks.signing_secret()
        row = await webhooks.create(
            res.pool,
            master,
            account_id=caller.id,
            project_id=project_id,
            url=url,
            types=types,
            secret=secret,
        )
    except webhooks.WebhookRejectedError as exc:
        raise _rejected(exc) from None
    return WebhookCreated.model_validate({**dict(row), "secret": secret})


@router.get("/projects/{project_id}/webhooks")
async def list_webhooks(project_id: UUID, caller: Caller, res: Res) -> Page[Webhook]:
    await require_project(res.pool, project_id, caller.id)
    rows = await res.pool.fetch(Q.list_webhooks, project_id, caller.id)
    return Page[Webhook](items=[Webhook.model_validate(dict(r)) for r in rows])


@router.get("/webhooks/{webhook_id}")
async def get_webhook(webhook_id: UUID, caller: Caller, res: Res) -> Webhook:
    row = await res.pool.fetchrow(Q.get_webhook, webhook_id, caller.id)
    if row is None:
        raise not_found("webhook")
    return Webhook.model_validate(dict(row))


@router.patch("/webhooks/{webhook_id}")
async def update_webhook(
    webhook_id: UUID, body: WebhookUpdate, caller: Caller, res: Res
) -> Webhook:
    allow = res.settings.targets.allow_private_targets
    try:
        url = None if body.url is None else webhooks.target(body.url, allow_private=allow)
        types = (
            None
            if body.event_types is None
            else webhooks.event_types(body.event_types, known=EVENT_TYPES)
        )
    except webhooks.WebhookRejectedError as exc:
        raise _rejected(exc) from None
    row = await res.pool.fetchrow(
        Q.update_webhook, webhook_id, caller.id, url, types, body.enabled
    )
    if row is None:
        raise not_found("webhook")
    return Webhook.model_validate(dict(row))


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: UUID, caller: Caller, res: Res) -> Response:
    if await res.pool.fetchval(Q.delete_webhook, webhook_id, caller.id) is None:
        raise not_found("webhook")
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries")
async def list_deliveries(
    webhook_id: UUID,
    *,
    caller: Caller,
    res: Res,
    limit: Limit,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|failed)$")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> WebhookDeliveryPage:
    if await res.pool.fetchrow(Q.get_webhook, webhook_id, caller.id) is None:
        raise not_found("webhook")
    before_at, before_id = _decode(cursor)
    rows = await res.pool.fetch(
        Q.list_deliveries, webhook_id, status, before_at, before_id, limit + 1
    )
    page, has_more = split_page(rows, limit)
    last = page[-1] if has_more else None
    return WebhookDeliveryPage(
        items=[WebhookDelivery.model_validate(dict(r)) for r in page],
        next_cursor=None if last is None else f"{last['created_at'].isoformat()}|{last['id']}",
    )


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=202)
async def redeliver(webhook_id: UUID, delivery_id: UUID, caller: Caller, res: Res) -> Response:
    if await res.pool.fetchval(Q.redeliver, delivery_id, webhook_id, caller.id) is None:
        raise not_found("delivery")
    return Response(status_code=202)


def _decode(cursor: str | None) -> tuple[datetime | None, UUID | None]:
    if cursor is None:
        return None, None
    try:
        at, _, ident = cursor.partition("|")
        return datetime.fromisoformat(at), UUID(ident)
    except ValueError:
        raise ApiError(422, "invalid_cursor", "cursor: not one this API gave") from None

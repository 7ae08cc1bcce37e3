"""Webhook subscriptions of a project: a target URL that obeys the egress rules, the event
types it follows, and a signing secret shown once and sealed at rest (the notify service opens
it to sign). Deliveries are made by strata-notify; here they are listed and sent again."""

import base64
import secrets
from collections.abc import Sequence
from uuid import UUID, uuid4

import asyncpg

from strata.crypto import MasterKey, seal_secret, webhook_secret_context
from strata.gateway.sql import Q
from strata.runtime.targets import TargetNotAllowedError, check_url

MAX_WEBHOOKS_PER_PROJECT = 20


class WebhookRejectedError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def target(url: str, *, allow_private: bool) -> str:
    try:
        return check_url(url, allow_private=allow_private)
    except TargetNotAllowedError as exc:
        raise WebhookRejectedError("invalid_webhook_url", f"url: {exc}") from None


def event_types(wanted: Sequence[str] | None, *, known: Sequence[str]) -> list[str]:
    """The types a subscription follows; none given means all of them."""
    if wanted is None:
        return list(known)
    unknown = sorted(set(wanted) - set(known))
    if unknown or not wanted:
        raise WebhookRejectedError(
            "invalid_event_types",
            f"event_types: unknown {', '.join(unknown)}" if unknown else "event_types: empty",
        )
    return sorted(set(wanted), key=list(known).index)


async def create(
    pool: asyncpg.Pool,
    master: MasterKey,
    *,
    account_id: UUID,
    project_id: UUID,
    url: str,
    types: list[str],
    secret: str,
) -> asyncpg.Record:
    subscription_id = uuid4()
    sealed = seal_secret(
        master, secret, context=webhook_secret_context(subscription_id, account_id)
    )
    async with pool.acquire() as conn, conn.transaction():
        # Serialise creations in one project so the cap holds under concurrent requests.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"webhooks:{project_id}")
        if await conn.fetchval(Q.count_project_webhooks, project_id) >= MAX_WEBHOOKS_PER_PROJECT:
            raise WebhookRejectedError(
                "too_many_webhooks",
                f"a project holds at most {MAX_WEBHOOKS_PER_PROJECT} webhook subscriptions",
            )
        return await conn.fetchrow(
            Q.insert_webhook,
            subscription_id,
            account_id,
            project_id,
            url,
            types,
            sealed,
            master.key_id,
        )


def signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()

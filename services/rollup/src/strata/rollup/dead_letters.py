"""Copy every dead letter into Postgres (`dead_letters`) with the reason its consumer wrote in
the headers, so operators can list them (`GET /v1/admin/dead-letters`) without touching the
queue. The copy is acked only after it committed; a database outage leaves the message in the
queue (nack with requeue after a pause), so no dead letter is lost on the way."""

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from strata.rollup.store import DeadLetter, RollupStore

logger = logging.getLogger(__name__)

ERROR_CODE_HEADER = "x-strata-error-code"
ERROR_HEADER = "x-strata-error"
QUEUE_HEADER = "x-strata-queue"


def decode_payload(body: bytes) -> Any:
    """The message body as JSON when it is JSON, else its text (an invalid message is exactly
    the kind that ends here, so it must still be stored)."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return body.decode("utf-8", errors="replace")


def json_safe(headers: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(dict(headers), default=str))


def broker_reason(headers: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Where the broker itself dead-lettered a message (delivery limit), it says so in
    `x-death`; our consumer's own headers win when present."""
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        death = deaths[0]
        queue = death.get("queue")
        reason = death.get("reason")
        return (str(queue) if queue else None, f"broker dead-lettered it: {reason}")
    return None, None


class DeadLetterCopier:
    def __init__(
        self,
        *,
        store: RollupStore,
        retry_pause_s: float = 2.0,
    ) -> None:
        self._store = store
        self._retry_pause_s = retry_pause_s

    async def copy(
        self,
        *,
        body: bytes,
        headers: Mapping[str, Any],
        routing_key: str,
        message_id: str | None,
    ) -> None:
        death_queue, death_reason = broker_reason(headers)
        error_code = headers.get(ERROR_CODE_HEADER)
        await self._store.save_dead_letter(
            DeadLetter(
                message_id=message_id,
                queue=headers.get(QUEUE_HEADER) or death_queue,
                routing_key=routing_key,
                error_code=str(error_code) if error_code is not None else "broker_delivery_limit",
                error=str(headers.get(ERROR_HEADER) or death_reason or "no reason given"),
                payload=decode_payload(body),
                headers=json_safe(headers),
            )
        )
        logger.info(
            "dead letter stored: %s from %s (%s)",
            routing_key,
            headers.get(QUEUE_HEADER) or death_queue,
            error_code,
        )

    async def pause_before_retry(self) -> None:
        await asyncio.sleep(self._retry_pause_s)

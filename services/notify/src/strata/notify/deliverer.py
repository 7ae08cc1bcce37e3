"""The webhook delivery loop: claim due deliveries, sign, POST, record the attempt, schedule the
retry or give up, disable a subscription that has failed for too long.

At least once per delivery: a delivery is `delivered` only after a 2xx, and every attempt of it
carries the same `webhook-id`, so a receiver that dedupes on it sees each event exactly once."""

import asyncio
import contextlib
import json
import logging
import time
from datetime import UTC, datetime

import httpx

from strata.crypto import DecryptError, MasterKey, open_secret, webhook_secret_context
from strata.notify import signing
from strata.notify.retries import RetryPolicy, is_success
from strata.notify.store import DueDelivery, NotifyStore, Outcome
from strata.runtime.targets import TargetNotAllowedError, check_resolved

logger = logging.getLogger(__name__)


class Deliverer:
    def __init__(
        self,
        *,
        store: NotifyStore,
        master: MasterKey,
        policy: RetryPolicy,
        client: httpx.AsyncClient,
        allow_private: bool,
        batch: int = 50,
        lease_s: float = 60.0,
    ) -> None:
        self._store = store
        self._master = master
        self._policy = policy
        self._client = client
        self._allow_private = allow_private
        self._batch = batch
        self._lease_s = lease_s
        self.wake = asyncio.Event()  # set when an event was recorded: deliver it now

    async def run(self, *, poll_s: float) -> None:
        while True:
            try:
                sent = await self.deliver_due()
            except Exception:
                logger.exception("webhook delivery round failed")
                sent = 0
            if sent < self._batch:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=poll_s)

    async def deliver_due(self) -> int:
        due = await self._store.claim_due(limit=self._batch, lease_s=self._lease_s)
        await asyncio.gather(*(self._deliver(d) for d in due))
        return len(due)

    async def _deliver(self, delivery: DueDelivery) -> None:
        outcome = await self._attempt(delivery)
        failing_since = await self._store.finish(delivery, outcome)
        now = datetime.now(UTC)
        if not outcome.delivered and self._policy.disables(failing_since=failing_since, now=now):
            reason = (
                f"every delivery failed since {failing_since:%Y-%m-%d %H:%M:%S} UTC; "
                f"last: {outcome.error or f'HTTP {outcome.status_code}'}"
            )
            await self._store.disable(delivery.subscription_id, reason=reason)
            logger.warning("disabled webhook subscription %s: %s", delivery.subscription_id, reason)

    async def _attempt(self, delivery: DueDelivery) -> Outcome:
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            await check_resolved(delivery.url, allow_private=self._allow_private)
            secret = open_secret(
                self._master,
                delivery.secret_sealed,
                context=webhook_secret_context(delivery.subscription_id, delivery.account_id),
            )
            body = json.dumps(delivery.body, separators=(",", ":")).encode()
            headers = signing.headers(
                secret=secret, msg_id=str(delivery.id), timestamp=int(time.time()), body=body
            )
            response = await self._client.post(delivery.url, content=body, headers=headers)
            status = response.status_code
            if not is_success(status):
                error = f"HTTP {status}"
        except TargetNotAllowedError as exc:
            error = f"target not allowed: {exc}"
        except DecryptError:
            error = "the signing secret does not open (master key changed?)"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
        duration_ms = int((time.monotonic() - started) * 1000)
        if is_success(status):
            return Outcome(status, None, duration_ms, delivered=True, retry_at=None)
        now = datetime.now(UTC)
        retry_at = self._policy.next_attempt(
            attempts=delivery.attempt_count + 1, created_at=delivery.created_at, now=now
        )
        return Outcome(status, error, duration_ms, delivered=False, retry_at=retry_at)

"""Consume a route with one uniform ack policy, so every handler stays a one-liner.

- success: ack (after the handler, i.e. after its DB commit and its outbox publish);
- a payload that is not the contract, or a permanent StrataError: dead-lettered with the reason;
- a retryable error: re-published to a delay tier (counting attempts), then acked; past
  `max_retries` it is dead-lettered with the reason;
- anything unexpected: nack with requeue; the queue's delivery limit dead-letters crash loops.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from aio_pika.exceptions import AMQPError
from faststream import AckPolicy
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.annotations import RabbitMessage
from pydantic import BaseModel, ValidationError

from strata.contracts import routing
from strata.runtime.broker import DEAD_LETTERS, EVENTS, consumer_queue, retry_delay, retry_exchange
from strata.runtime.errors import StrataError

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
ATTEMPT_HEADER = "x-strata-attempt"
# Errors of the infrastructure itself: the same message may well succeed in a moment.
TRANSIENT_EXCEPTIONS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    ConnectionError,
    TimeoutError,
    AMQPError,
)


def consume(
    broker: RabbitBroker,
    route: routing.Route,
    model: type[M],
    *,
    prefetch: int = 10,
    max_retries: int = 8,
) -> Callable[[Callable[[M], Awaitable[None]]], Callable[..., Awaitable[None]]]:
    def decorator(handle: Callable[[M], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        @broker.subscriber(
            consumer_queue(route),
            EVENTS,
            channel=Channel(prefetch_count=prefetch),
            ack_policy=AckPolicy.MANUAL,
            title=route.queue,
            description=f"{model.__name__} from `{route.routing_key}`",
        )
        async def subscriber(body: Any, message: RabbitMessage) -> None:
            try:
                payload = model.model_validate(body)
            except ValidationError as exc:
                await _dead_letter(broker, message, route, "invalid_message", str(exc)[:2000])
                return
            try:
                await handle(payload)
            except StrataError as exc:
                if not exc.retryable:
                    await _dead_letter(broker, message, route, exc.code, exc.message)
                    return
                await _retry(
                    broker, message, route, exc.code, exc.message, max_retries, exc.retry_after_s
                )
                return
            except TRANSIENT_EXCEPTIONS as exc:
                await _retry(broker, message, route, "transient", repr(exc), max_retries)
                return
            except Exception:
                logger.exception("unexpected error on %s; requeued", route.queue)
                await message.nack(requeue=True)
                return
            await message.ack()

        return subscriber

    return decorator


async def _retry(
    broker: RabbitBroker,
    message: RabbitMessage,
    route: routing.Route,
    code: str,
    reason: str,
    max_retries: int,
    retry_after_s: float | None = None,
) -> None:
    attempt = int(message.headers.get(ATTEMPT_HEADER, 0)) + 1
    if attempt > max_retries:
        await _dead_letter(broker, message, route, code, f"gave up after {max_retries} retries: {reason}")
        return
    delay = retry_delay(attempt, at_least_s=retry_after_s)
    logger.warning("%s on %s: retry %d in %ds (%s)", code, route.queue, attempt, delay, reason)
    await broker.publish(
        message.body,
        exchange=retry_exchange(delay),
        routing_key=route.queue,
        persist=True,
        message_id=message.message_id,
        content_type=message.content_type,
        headers={**message.headers, ATTEMPT_HEADER: attempt},
    )
    await message.ack()


async def _dead_letter(
    broker: RabbitBroker, message: RabbitMessage, route: routing.Route, code: str, reason: str
) -> None:
    logger.error("dead-lettering a message from %s: %s: %s", route.queue, code, reason)
    await broker.publish(
        message.body,
        exchange=DEAD_LETTERS,
        routing_key=route.routing_key,
        persist=True,
        message_id=message.message_id,
        content_type=message.content_type,
        headers={
            **message.headers,
            "x-strata-error-code": code,
            "x-strata-error": reason[:2000],
            "x-strata-queue": route.queue,
        },
    )
    await message.ack()

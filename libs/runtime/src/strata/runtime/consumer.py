"""Consume a route with one uniform ack policy, so every handler stays a one-liner.

- success: ack (after the handler, i.e. after its DB commit and its outbox publish);
- a body that is not JSON (not UTF-8, truncated, malformed), a payload that is not the contract,
  or a permanent StrataError: dead-lettered with the reason. The body is decoded here, not by
  FastStream, whose decoder would fail before the handler and drop the message with a log line;
- a retryable error: re-published to a delay tier (counting attempts), then acked; past
  `max_retries` it is dead-lettered with the reason;
- anything unexpected: nack with requeue, until the last delivery the queue allows, when it is
  dead-lettered with the reason (the broker's own delivery limit stays as the backstop).

Whenever a decoded message is dead-lettered, `on_give_up(message, code, reason)` runs first, so
the service can record the failure on the thing the message was about (a document must not sit
in `converting` forever because its message went to the dead letters).

A message that carries a secret (an integration's command and its credential) gives `redact`:
its dead letter keeps the redacted body and the reason never quotes the input, since dead
letters are copied into Postgres and shown to admins. `on_invalid(value, reason)` lets such a
consumer answer a payload that is not its contract (with the sender's correlation id) before it
is dead-lettered.
"""

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import asyncpg
from aio_pika.exceptions import AMQPError
from faststream import AckPolicy
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.annotations import RabbitMessage
from pydantic import ValidationError

from strata.contracts import routing
from strata.contracts.messages import Message
from strata.runtime import metrics
from strata.runtime.broker import (
    DEAD_LETTERS,
    DELIVERY_LIMIT,
    EVENTS,
    consumer_queue,
    retry_delay,
    retry_exchange,
)
from strata.runtime.errors import StrataError

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
GiveUp = Callable[[Any, str, str], Awaitable[None]]
Redact = Callable[[bytes], bytes]
OnInvalid = Callable[[Any, str], Awaitable[None]]
ATTEMPT_HEADER = "x-strata-attempt"
# A retry comes back through the default exchange under the queue's name: the key it was first
# published with travels in this header (a queue bound to several notifications needs it).
ROUTING_KEY_HEADER = "x-strata-routing-key"
# Errors of the infrastructure itself: the same message may well succeed in a moment.
TRANSIENT_EXCEPTIONS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    # SQLSTATE 57P01-57P03: the server is stopping, crashed, or still recovering/starting up
    # (it refuses connections meanwhile); the database is briefly away, not the message bad.
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    ConnectionError,
    TimeoutError,
    AMQPError,
)


async def _raw_body(message: Any) -> bytes:
    # Keep the bytes: decoding is ours, so an undecodable body is dead-lettered like any other.
    return bytes(message.body)


def _decode(body: bytes) -> Any:
    """The JSON value of a body, or ValueError saying why there is none."""
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"body is not JSON ({exc.msg} at char {exc.pos})") from None
    except RecursionError:
        raise ValueError("body is not JSON a consumer can read (nested too deeply)") from None


def consume(
    broker: RabbitBroker,
    model: type[M],
    *,
    prefetch: int = 10,
    max_retries: int = 8,
    on_give_up: GiveUp | None = None,
    redact: Redact | None = None,
    on_invalid: OnInvalid | None = None,
) -> Callable[[Callable[[M], Awaitable[None]]], Callable[..., Awaitable[None]]]:
    route = model.route  # the message knows its queue; a notification has none and raises here
    queue = consumer_queue(route)
    metrics.prime(queue.name)

    def decorator(handle: Callable[[M], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        @broker.subscriber(
            queue,
            EVENTS,
            channel=Channel(prefetch_count=prefetch),
            ack_policy=AckPolicy.MANUAL,
            decoder=_raw_body,
            title=queue.name,
            description=f"{model.__name__} from `{route.routing_key}`",
        )
        async def subscriber(body: bytes, message: RabbitMessage) -> None:
            payload = await _payload(
                broker, message, route, body, model, redact=redact, on_invalid=on_invalid
            )
            if payload is None:
                return
            await _settle(
                broker,
                message,
                route,
                lambda: handle(payload),
                give_up_hook=None if on_give_up is None else _bound(on_give_up, payload),
                max_retries=max_retries,
                redact=redact,
            )

        return subscriber

    return decorator


def consume_notifications(
    broker: RabbitBroker,
    route: routing.Route,
    models: Mapping[str, type[Message]],
    *,
    prefetch: int = 10,
    max_retries: int = 8,
) -> Callable[[Callable[[Message], Awaitable[None]]], Callable[..., Awaitable[None]]]:
    """Like `consume`, for one queue bound to several notifications (`route.bound_keys`): each
    message is decoded as the model of its routing key, with the same ack policy."""
    queue = consumer_queue(route)
    metrics.prime(queue.name)

    def decorator(handle: Callable[[Message], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        @broker.subscriber(
            queue,
            EVENTS,
            channel=Channel(prefetch_count=prefetch),
            ack_policy=AckPolicy.MANUAL,
            decoder=_raw_body,
            title=queue.name,
            description="every notification: " + ", ".join(f"`{k}`" for k in models),
        )
        async def subscriber(body: bytes, message: RabbitMessage) -> None:
            key = _routing_key(message)
            model = models.get(key)
            if model is None:
                await _dead_letter(broker, message, route, "unknown_route", f"no model for {key}")
                return
            payload = await _payload(broker, message, route, body, model)
            if payload is None:
                return
            await _settle(
                broker,
                message,
                route,
                lambda: handle(payload),
                give_up_hook=None,
                max_retries=max_retries,
            )

        return subscriber

    return decorator


async def _payload(
    broker: RabbitBroker,
    message: RabbitMessage,
    route: routing.Route,
    body: bytes,
    model: type[M],
    *,
    redact: Redact | None = None,
    on_invalid: OnInvalid | None = None,
) -> M | None:
    """The body as its contract, or None once it was dead-lettered as `invalid_message` (not
    UTF-8 JSON, or not the contract)."""
    value: Any = None
    try:
        value = _decode(body)
        return model.model_validate(value)
    except ValidationError as exc:
        reason = str(exc)[:2000] if redact is None else _without_input(exc)
    except ValueError as exc:
        reason = str(exc)
    if on_invalid is not None:
        try:
            await on_invalid(value, reason)
        except Exception:
            logger.exception("answering an invalid message failed")
    await _dead_letter(broker, message, route, "invalid_message", reason, redact=redact)
    return None


def _without_input(exc: ValidationError) -> str:
    """Which fields are wrong and why, never the values (they may be secret)."""
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in errors)[
        :2000
    ]


def _bound(on_give_up: GiveUp, payload: Any) -> Callable[[str, str], Awaitable[None]]:
    async def hook(code: str, reason: str) -> None:
        await on_give_up(payload, code, reason)

    return hook


async def _settle(
    broker: RabbitBroker,
    message: RabbitMessage,
    route: routing.Route,
    run: Callable[[], Awaitable[None]],
    *,
    give_up_hook: Callable[[str, str], Awaitable[None]] | None,
    max_retries: int,
    redact: Redact | None = None,
) -> None:
    """Run the handler and ack, retry, requeue or dead-letter by what it raised."""

    async def give_up(code: str, reason: str) -> None:
        if give_up_hook is not None:
            try:
                await give_up_hook(code, reason)
            except Exception:
                logger.exception("recording the give-up of a message failed")
        await _dead_letter(broker, message, route, code, reason, redact=redact)

    queue_name = route.queue or route.routing_key
    started = time.perf_counter()
    try:
        try:
            await run()
        finally:
            metrics.HANDLER_SECONDS.labels(queue=queue_name).observe(time.perf_counter() - started)
    except StrataError as exc:
        if not exc.retryable:
            await give_up(exc.code, exc.message)
        elif _attempt(message) > max_retries:
            await give_up(exc.code, f"gave up after {max_retries} retries: {exc.message}")
        else:
            await _retry(
                broker,
                message,
                route,
                code=exc.code,
                reason=exc.message,
                retry_after_s=exc.retry_after_s,
            )
        return
    except TRANSIENT_EXCEPTIONS as exc:
        if _attempt(message) > max_retries:
            await give_up("transient", f"gave up after {max_retries} retries: {exc!r}")
        else:
            await _retry(
                broker, message, route, code="transient", reason=repr(exc), retry_after_s=None
            )
        return
    except Exception as exc:
        if int(message.headers.get("x-delivery-count", 0)) + 1 >= DELIVERY_LIMIT:
            logger.exception("unexpected error on %s; giving up", route.queue)
            await give_up("unexpected_error", f"{type(exc).__name__}: {exc}"[:2000])
            return
        logger.exception("unexpected error on %s; requeued", route.queue)
        await message.nack(requeue=True)
        metrics.count(queue_name, "requeued")
        return
    await message.ack()
    metrics.count(queue_name, "handled")


def _routing_key(message: RabbitMessage) -> str:
    return str(message.headers.get(ROUTING_KEY_HEADER) or message.raw_message.routing_key or "")


def _attempt(message: RabbitMessage) -> int:
    """Which retry this would be (1 for the first)."""
    return int(message.headers.get(ATTEMPT_HEADER, 0)) + 1


async def _retry(
    broker: RabbitBroker,
    message: RabbitMessage,
    route: routing.Route,
    *,
    code: str,
    reason: str,
    retry_after_s: float | None,
) -> None:
    assert route.queue is not None  # consume() takes commands only
    attempt = _attempt(message)
    delay = retry_delay(attempt, at_least_s=retry_after_s)
    logger.warning("%s on %s: retry %d in %ds (%s)", code, route.queue, attempt, delay, reason)
    await broker.publish(
        message.body,
        exchange=retry_exchange(delay),
        routing_key=route.queue,
        persist=True,
        message_id=message.message_id,
        content_type=message.content_type,
        headers={
            **message.headers,
            ATTEMPT_HEADER: attempt,
            ROUTING_KEY_HEADER: _routing_key(message),
        },
    )
    await message.ack()
    metrics.count(route.queue, "retried")


async def _dead_letter(
    broker: RabbitBroker,
    message: RabbitMessage,
    route: routing.Route,
    code: str,
    reason: str,
    *,
    redact: Redact | None = None,
) -> None:
    logger.error("dead-lettering a message from %s: %s: %s", route.queue, code, reason)
    await broker.publish(
        message.body if redact is None else redact(bytes(message.body)),
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
    if route.queue is not None:
        metrics.count(route.queue, "dead_lettered")
        metrics.DEAD_LETTERS.labels(queue=route.queue, code=code).inc()

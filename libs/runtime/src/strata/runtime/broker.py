"""The broker and its topology: one topic exchange, a durable quorum queue per consumer with a
delivery limit that dead-letters poison messages, and TTL queues for delayed retries."""

from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitQueue,
)
from opentelemetry.sdk.trace import TracerProvider

from strata.contracts import routing
from strata.runtime.telemetry import broker_telemetry

EVENTS = RabbitExchange(routing.EXCHANGE, type=ExchangeType.TOPIC, durable=True)
DEAD_LETTERS = RabbitExchange(routing.DEAD_LETTER_EXCHANGE, type=ExchangeType.TOPIC, durable=True)
DEAD_LETTER_QUEUE = RabbitQueue(
    routing.DEAD_LETTER_QUEUE, queue_type=QueueType.QUORUM, durable=True, routing_key="#"
)
# A message that reaches a queue this many times without an ack is dead-lettered (crash loops).
DELIVERY_LIMIT = 5
# Delayed retry without a plugin: a message published to tier N's exchange waits out the tier's
# TTL in its queue, then is dead-lettered through the default exchange with its routing key,
# which we set to the consuming queue's name — so only the queue that failed sees it again.
RETRY_TIERS_S = (1, 5, 30, 120)


def retry_exchange(delay_s: int) -> RabbitExchange:
    name = f"{routing.RETRY_QUEUE}.{delay_s}s"
    return RabbitExchange(name, type=ExchangeType.FANOUT, durable=True)


def retry_queue(delay_s: int) -> RabbitQueue:
    return RabbitQueue(
        f"{routing.RETRY_QUEUE}.{delay_s}s",
        durable=True,
        arguments={"x-message-ttl": delay_s * 1000, "x-dead-letter-exchange": ""},
    )


def retry_delay(attempt: int, *, at_least_s: float | None = None) -> int:
    """The delay tier for a retry: grows with the attempt, never shorter than `at_least_s`."""
    delay = RETRY_TIERS_S[min(max(attempt, 1), len(RETRY_TIERS_S)) - 1]
    if at_least_s is not None:
        delay = max(delay, next((t for t in RETRY_TIERS_S if t >= at_least_s), RETRY_TIERS_S[-1]))
    return delay


# Legacy names too: an outbox row written before an upgrade is still a command when relayed.
COMMAND_ROUTING_KEYS = frozenset(
    key for route in routing.CONSUMED_ROUTES for key in route.bound_keys
)


def consumer_queue(route: routing.Route) -> RabbitQueue:
    if route.queue is None:
        raise ValueError(f"{route.routing_key} is a notification: no service consumes it")
    return RabbitQueue(
        route.queue,
        queue_type=QueueType.QUORUM,
        durable=True,
        routing_key=route.routing_key,
        arguments={
            "x-dead-letter-exchange": routing.DEAD_LETTER_EXCHANGE,
            "x-delivery-limit": DELIVERY_LIMIT,
        },
    )


def build_broker(amqp_url: str, *, tracer_provider: TracerProvider | None = None) -> RabbitBroker:
    middlewares = (broker_telemetry(tracer_provider),) if tracer_provider else ()
    # Publisher confirms are on; a mandatory message that no queue takes raises instead of
    # vanishing. Connection loss is retried by aio-pika's robust connection, so a broker
    # restart heals without a process restart.
    return RabbitBroker(
        amqp_url,
        middlewares=middlewares,
        reconnect_interval=2.0,
        default_channel=Channel(publisher_confirms=True, on_return_raises=True),
    )


async def declare_topology(broker: RabbitBroker) -> None:
    """Idempotently declare the shared exchanges and queues every service relies on.

    On a channel of its own, closed afterwards, and not through `broker.declare_queue`:
    FastStream's declarer caches one queue object per queue definition whatever the channel,
    so a subscriber declaring the same queue later would get the cached object and consume on
    the broker's default channel, which has no prefetch limit: `Channel(prefetch_count=…)` of
    every subscriber (worker concurrency, conversion processes) would be silently ignored.
    """
    connection = await broker.connect()
    channel = await connection.channel()
    try:
        dlx = await _declare_exchange(channel, DEAD_LETTERS)
        dlq = await _declare_queue(channel, DEAD_LETTER_QUEUE)
        await dlq.bind(dlx, routing_key="#")
        for delay in RETRY_TIERS_S:
            exchange = await _declare_exchange(channel, retry_exchange(delay))
            queue = await _declare_queue(channel, retry_queue(delay))
            await queue.bind(exchange)
        # Every consumer's queue exists before anyone publishes: a message sent before its
        # consumer first started waits in the queue instead of being dropped by the exchange.
        events = await _declare_exchange(channel, EVENTS)
        for route in routing.CONSUMED_ROUTES:
            queue = await _declare_queue(channel, consumer_queue(route))
            for key in route.bound_keys:
                await queue.bind(events, routing_key=key)
    finally:
        await channel.close()


async def _declare_exchange(channel: AbstractChannel, exchange: RabbitExchange) -> AbstractExchange:
    return await channel.declare_exchange(
        exchange.name,
        type=exchange.type.value,
        durable=exchange.durable,
        auto_delete=exchange.auto_delete,
        arguments=exchange.arguments,
    )


async def _declare_queue(channel: AbstractChannel, queue: RabbitQueue) -> AbstractQueue:
    return await channel.declare_queue(
        queue.name,
        durable=queue.durable,
        exclusive=queue.exclusive,
        auto_delete=queue.auto_delete,
        arguments=queue.arguments,
    )

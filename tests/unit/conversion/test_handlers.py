"""The real handler registration on FastStream's in-memory test broker, with a fake pipeline."""

from typing import Any
from uuid import uuid4

from faststream.rabbit import RabbitBroker, RabbitMessage, TestRabbitBroker

from strata.contracts import routing
from strata.contracts.messages import ConversionRequested
from strata.conversion.errors import ConverterInterruptedError
from strata.conversion.handlers import register
from strata.runtime.broker import (
    DEAD_LETTER_QUEUE,
    DEAD_LETTERS,
    EVENTS,
    retry_exchange,
    retry_queue,
)


class FakePipeline:
    def __init__(self, error: Exception | None = None) -> None:
        self.requests: list[ConversionRequested] = []
        self.error = error
        self.given_up: list[tuple[ConversionRequested, str]] = []

    async def handle(self, msg: ConversionRequested) -> None:
        self.requests.append(msg)
        if self.error is not None:
            raise self.error

    async def give_up(self, msg: ConversionRequested, code: str, reason: str) -> None:
        self.given_up.append((msg, code))


def _broker(pipeline: FakePipeline) -> tuple[RabbitBroker, list[dict[str, Any]]]:
    broker = RabbitBroker("amqp://guest:guest@localhost:5672/")
    register(broker, pipeline, prefetch=1)
    dead: list[dict[str, Any]] = []

    @broker.subscriber(DEAD_LETTER_QUEUE, DEAD_LETTERS)
    async def dead_letters(body: Any, message: RabbitMessage) -> None:
        dead.append(message.headers)

    return broker, dead


async def test_a_published_request_reaches_the_pipeline() -> None:
    pipeline = FakePipeline()
    broker, dead = _broker(pipeline)
    msg = ConversionRequested(document_id=uuid4(), source_format="md")
    async with TestRabbitBroker(broker) as test_broker:
        await test_broker.publish(
            msg.model_dump(mode="json"),
            exchange=EVENTS,
            routing_key=routing.CONVERSION_REQUESTED.routing_key,
        )
    assert pipeline.requests == [msg]
    assert dead == []


async def test_an_invalid_payload_does_not_crash_the_handler() -> None:
    pipeline = FakePipeline()
    broker, dead = _broker(pipeline)
    async with TestRabbitBroker(broker) as test_broker:
        await test_broker.publish(
            b"not json at all",
            exchange=EVENTS,
            routing_key=routing.CONVERSION_REQUESTED.routing_key,
        )
    assert pipeline.requests == []
    assert [h["x-strata-error-code"] for h in dead] == ["invalid_message"]


async def test_a_retryable_error_goes_to_a_delay_tier() -> None:
    pipeline = FakePipeline(ConverterInterruptedError())
    broker, dead = _broker(pipeline)
    retried: list[dict[str, Any]] = []

    # The first delay tier; the real queue dead-letters the message back after its TTL.
    @broker.subscriber(retry_queue(1), retry_exchange(1))
    async def retry_tier(body: Any, message: RabbitMessage) -> None:
        retried.append(message.headers)

    msg = ConversionRequested(document_id=uuid4(), source_format="txt")
    async with TestRabbitBroker(broker) as test_broker:
        await test_broker.publish(
            msg.model_dump(mode="json"),
            exchange=EVENTS,
            routing_key=routing.CONVERSION_REQUESTED.routing_key,
        )
    assert dead == []
    assert [h["x-strata-attempt"] for h in retried] == [1]

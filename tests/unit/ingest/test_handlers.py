"""The real handler registration on FastStream's in-memory test broker, with a fake intake."""

from typing import Any
from uuid import uuid4

from faststream.rabbit import RabbitBroker, RabbitMessage, TestRabbitBroker

from strata.contracts import routing
from strata.contracts.messages import DocumentReceived
from strata.ingest.errors import DocumentNotFoundError
from strata.ingest.handlers import register
from strata.runtime.broker import DEAD_LETTER_QUEUE, DEAD_LETTERS, EVENTS


class FakeIntake:
    def __init__(self, error: Exception | None = None) -> None:
        self.received: list[DocumentReceived] = []
        self.error = error
        self.given_up: list[tuple[DocumentReceived, str]] = []

    async def handle(self, msg: DocumentReceived) -> None:
        self.received.append(msg)
        if self.error is not None:
            raise self.error

    async def give_up(self, msg: DocumentReceived, code: str, reason: str) -> None:
        self.given_up.append((msg, code))


def _broker(intake: FakeIntake) -> tuple[RabbitBroker, list[tuple[Any, dict[str, Any]]]]:
    broker = RabbitBroker("amqp://guest:guest@localhost:5672/")
    register(broker, intake, prefetch=1)
    dead: list[tuple[Any, dict[str, Any]]] = []

    @broker.subscriber(DEAD_LETTER_QUEUE, DEAD_LETTERS)
    async def dead_letters(body: Any, message: RabbitMessage) -> None:
        dead.append((body, message.headers))

    return broker, dead


async def test_a_published_message_reaches_the_intake() -> None:
    intake = FakeIntake()
    broker, dead = _broker(intake)
    msg = DocumentReceived(document_id=uuid4(), project_id=uuid4())
    async with TestRabbitBroker(broker) as test_broker:
        await test_broker.publish(
            msg.model_dump(mode="json"),
            exchange=EVENTS,
            routing_key=routing.DOCUMENT_RECEIVED.routing_key,
        )
    assert intake.received == [msg]
    assert dead == []


async def test_an_invalid_payload_is_dead_lettered_not_handled() -> None:
    intake = FakeIntake()
    broker, dead = _broker(intake)
    async with TestRabbitBroker(broker) as test_broker:
        await test_broker.publish(
            {"document_id": "not-a-uuid"},
            exchange=EVENTS,
            routing_key=routing.DOCUMENT_RECEIVED.routing_key,
        )
    assert intake.received == []
    assert len(dead) == 1
    assert dead[0][1]["x-strata-error-code"] == "invalid_message"


async def test_a_permanent_domain_error_is_dead_lettered() -> None:
    intake = FakeIntake(DocumentNotFoundError())
    broker, dead = _broker(intake)
    msg = DocumentReceived(document_id=uuid4(), project_id=uuid4())
    async with TestRabbitBroker(broker) as test_broker:
        await test_broker.publish(
            msg.model_dump(mode="json"),
            exchange=EVENTS,
            routing_key=routing.DOCUMENT_RECEIVED.routing_key,
        )
    assert len(intake.received) == 1
    assert dead[0][1]["x-strata-error-code"] == "document_not_found"
    # The service is told, so the document can be failed instead of left waiting.
    assert intake.given_up == [(msg, "document_not_found")]

"""Consumer registration, kept apart from main() so tests can register the same handlers on a
test broker with a fake intake."""

from typing import Protocol

from faststream.rabbit import RabbitBroker

from strata.contracts.messages import DocumentReceived
from strata.runtime.consumer import consume


class HandlesReceived(Protocol):
    async def handle(self, msg: DocumentReceived) -> None: ...
    async def give_up(self, msg: DocumentReceived, code: str, reason: str) -> None: ...


def register(broker: RabbitBroker, intake: HandlesReceived, *, prefetch: int) -> None:
    @consume(
        broker,
        DocumentReceived,
        prefetch=prefetch,
        on_give_up=intake.give_up,
    )
    async def on_document_received(msg: DocumentReceived) -> None:
        await intake.handle(msg)

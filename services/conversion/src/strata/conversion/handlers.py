"""Consumer registration, kept apart from main() so tests can register the same handlers on a
test broker with a fake pipeline."""

from typing import Protocol

from faststream.rabbit import RabbitBroker

from strata.contracts.messages import ConversionRequested
from strata.runtime.consumer import consume


class HandlesConversion(Protocol):
    async def handle(self, msg: ConversionRequested) -> None: ...
    async def give_up(self, msg: ConversionRequested, code: str, reason: str) -> None: ...


def register(broker: RabbitBroker, pipeline: HandlesConversion, *, prefetch: int) -> None:
    @consume(
        broker,
        ConversionRequested,
        prefetch=prefetch,
        on_give_up=pipeline.give_up,
    )
    async def on_conversion_requested(msg: ConversionRequested) -> None:
        await pipeline.handle(msg)

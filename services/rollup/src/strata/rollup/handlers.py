"""Thin handlers: decode the contract, call one domain object."""

from typing import Protocol

from faststream.rabbit import RabbitBroker

from strata.contracts import routing
from strata.contracts.messages import OverlaysSettled
from strata.runtime.consumer import consume


class Rollup(Protocol):
    async def on_settled(self, msg: OverlaysSettled) -> None: ...


def register(broker: RabbitBroker, *, rollup: Rollup, prefetch: int) -> None:
    @consume(broker, routing.OVERLAYS_SETTLED, OverlaysSettled, prefetch=prefetch)
    async def on_overlays_settled(msg: OverlaysSettled) -> None:
        await rollup.on_settled(msg)

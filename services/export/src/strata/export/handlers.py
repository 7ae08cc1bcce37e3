"""Thin handlers: decode the contract, call one domain object."""

from typing import Protocol

from faststream.rabbit import RabbitBroker

from strata.contracts.messages import ExportRequested
from strata.runtime.consumer import consume


class ExportBuilder(Protocol):
    async def export(self, msg: ExportRequested) -> None: ...

    async def give_up(self, msg: ExportRequested, code: str, reason: str) -> None: ...


def register(broker: RabbitBroker, *, exporter: ExportBuilder, prefetch: int) -> None:
    @consume(broker, ExportRequested, prefetch=prefetch, on_give_up=exporter.give_up)
    async def on_export_requested(msg: ExportRequested) -> None:
        await exporter.export(msg)

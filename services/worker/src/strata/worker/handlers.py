"""Thin handlers: decode the contract, call one domain object."""

from typing import Protocol

from faststream.rabbit import RabbitBroker

from strata.contracts import routing
from strata.contracts.messages import PackReady, RunCreated
from strata.runtime.consumer import consume


class Planner(Protocol):
    async def plan(self, msg: RunCreated) -> int: ...


class Runner(Protocol):
    async def run(self, msg: PackReady) -> None: ...


def register(broker: RabbitBroker, *, planner: Planner, runner: Runner, concurrency: int) -> None:
    @consume(broker, routing.RUN_CREATED, RunCreated, prefetch=2)
    async def on_run_created(msg: RunCreated) -> None:
        await planner.plan(msg)

    # Backoffs of a pack are bounded by the policy's max_attempts (≤ 20), not by this limit.
    @consume(broker, routing.PACK_READY, PackReady, prefetch=concurrency, max_retries=100)
    async def on_pack_ready(msg: PackReady) -> None:
        await runner.run(msg)

"""Thin handlers: decode the contract, call one domain object."""

from typing import Protocol

from faststream.rabbit import RabbitBroker

from strata.contracts.messages import PackReady, PlanRequested
from strata.runtime.consumer import consume


class Planner(Protocol):
    async def plan(self, msg: PlanRequested) -> int: ...


class Runner(Protocol):
    async def run(self, msg: PackReady) -> None: ...


def register(broker: RabbitBroker, *, planner: Planner, runner: Runner, concurrency: int) -> None:
    @consume(broker, PlanRequested, prefetch=2)
    async def on_plan_requested(msg: PlanRequested) -> None:
        await planner.plan(msg)

    # Backoffs of a pack are bounded by the policy's max_attempts (≤ 20), not by this limit.
    @consume(broker, PackReady, prefetch=concurrency, max_retries=100)
    async def on_pack_ready(msg: PackReady) -> None:
        await runner.run(msg)

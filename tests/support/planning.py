"""The worker's background planning, run in-process for tests that drive the gateway alone.

A standard run is answered `planning` and its overlays are written by the worker on
run.plan-requested (`strata.worker.planning`). Tests of the gateway with no worker process plan
such runs here, with the worker's own planner and store on the test's database, so a created
run has its overlays and packs as it would moments later in production."""

from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import asyncpg
import httpx
from faststream.rabbit import RabbitBroker

from strata.contracts.messages import PlanRequested
from strata.runtime.outbox import Outbox
from strata.runtime.service import ServiceRuntime
from strata.worker.context import RunContexts
from strata.worker.pg_store import PgPackStore
from strata.worker.planning import RunPlanner


@dataclass
class _Runtime:
    """What the worker's store uses of its ServiceRuntime."""

    pool: asyncpg.Pool
    outbox: Outbox


def planner_for(
    pool: asyncpg.Pool, broker: RabbitBroker, *, chunk_blocks: int = 5000, per_message: int = 8
) -> RunPlanner:
    runtime = _Runtime(pool, Outbox(pool, broker, producer="worker"))
    store = PgPackStore(cast(ServiceRuntime, runtime))
    return RunPlanner(
        store=store,
        contexts=RunContexts(store),
        chunk_blocks=chunk_blocks,
        chunks_per_message=per_message,
    )


async def plan_run(planner: RunPlanner, pool: asyncpg.Pool, run_id: UUID) -> int:
    """Plan steps until the run is no longer `planning` (or a step finds nothing); the steps."""
    steps = 0
    while await pool.fetchval("SELECT status FROM runs WHERE id = $1", run_id) == "planning":
        steps += 1
        await planner.plan(PlanRequested(run_id=run_id))
    return steps


async def plan_all(pool: asyncpg.Pool, broker: RabbitBroker) -> None:
    planner = planner_for(pool, broker)
    for row in await pool.fetch("SELECT id FROM runs WHERE status = 'planning'"):
        await plan_run(planner, pool, row["id"])


class PlanningTransport(httpx.AsyncBaseTransport):
    """An in-process gateway followed, after each POST, by the planning a worker would do."""

    def __init__(self, inner: httpx.AsyncBaseTransport, pool: asyncpg.Pool, broker: Any) -> None:
        self.inner, self.pool, self.broker = inner, pool, broker

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST":
            await response.aread()
            await plan_all(self.pool, self.broker)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

"""A gateway app per test on a fresh database and vhost, driven in-process over ASGI."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import aio_pika
import asyncpg
import httpx
import pytest
from faststream.rabbit import RabbitBroker

from strata.contracts import routing
from strata.gateway.main import create_app
from strata.gateway.settings import GatewaySettings
from strata.gateway.web.auth import create_account
from strata.runtime.settings import CommonSettings
from tests.support.planning import PlanningTransport


class Events:
    """Every message on the events exchange of the test's vhost."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []

    async def on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            self.received.append((message.routing_key or "", json.loads(message.body)))

    async def wait_for(self, routing_key: str, **fields: str) -> dict[str, Any]:
        for _ in range(100):
            for key, body in self.received:
                if key == routing_key and all(body.get(k) == v for k, v in fields.items()):
                    return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {routing_key} {fields} in {self.received}")


@dataclass
class Gateway:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    broker: RabbitBroker
    events: Events
    blob_root: Path

    async def account(self, name: str = "acme") -> dict[str, str]:
        _, token = await create_account(self.pool, name)
        return {"Authorization": f"Bearer {token}"}

    async def superuser(self, name: str = "root") -> dict[str, str]:
        _, token = await create_account(self.pool, name, True)
        return {"Authorization": f"Bearer {token}"}


StartGateway = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def start_gateway(
    database_url: str, amqp_url: str, blob_root: Path
) -> AsyncIterator[StartGateway]:
    exits: list[Callable[[], Awaitable[None]]] = []

    async def start(
        *, plan_runs: bool = True, blob_settings: dict[str, Any] | None = None, **overrides: Any
    ) -> Gateway:
        """`blob_settings`: the common STRATA_BLOB_* settings instead of the local folder;
        `plan_runs`: plan each created run in-process, as the worker would."""
        where = blob_settings or {"blob_root": blob_root}
        common = CommonSettings(database_url=database_url, amqp_url=amqp_url, **where)
        app = create_app(GatewaySettings(common=common, **overrides))
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        exits.append(lambda: lifespan.__aexit__(None, None, None))
        resources = app.state.resources
        transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app)
        if plan_runs:
            # No worker runs here: a created run is planned as the worker would plan it.
            transport = PlanningTransport(transport, resources.pool, resources.outbox.broker)
        client = httpx.AsyncClient(transport=transport, base_url="http://gw")
        exits.append(client.aclose)
        events = Events()
        connection = await aio_pika.connect(amqp_url)
        exits.append(connection.close)
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(routing.EXCHANGE, routing_key="#")
        await queue.consume(events.on_message)
        return Gateway(
            client=client,
            pool=resources.pool,
            broker=resources.outbox.broker,
            events=events,
            blob_root=blob_root,
        )

    yield start
    for close in reversed(exits):
        await close()


@pytest.fixture
async def gw(start_gateway: StartGateway) -> Gateway:
    return await start_gateway()


async def make_ready(pool: asyncpg.Pool, document_id: str | UUID, indices: list[int]) -> None:
    """What conversion would do: blocks rows and the document marked ready."""
    await pool.executemany(
        "INSERT INTO blocks (document_id, block_index, block_type, text, section_path,"
        " token_estimate, table_cells) VALUES ($1, $2, 'paragraph', $3, $4, 3, $5)",
        [
            (
                UUID(str(document_id)),
                i,
                f"block {i}",
                ["Intro"],
                {"rows": [["a"]]} if i == 1 else None,
            )
            for i in indices
        ],
    )
    await pool.execute(
        "UPDATE documents SET status = 'ready', block_count = $2 WHERE id = $1",
        UUID(str(document_id)),
        len(indices),
    )


# A browser for the pages: each call is a separate cookie jar, a separate person.
Browser = Callable[[], httpx.AsyncClient]


@pytest.fixture
async def browser(gw: Gateway) -> AsyncIterator[Browser]:
    made: list[httpx.AsyncClient] = []

    def new() -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=gw.client._transport, base_url="http://gw", follow_redirects=False
        )
        made.append(client)
        return client

    yield new
    for client in made:
        await client.aclose()

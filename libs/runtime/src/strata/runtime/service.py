"""What every service process shares: broker, pool, outbox relay, blobs, telemetry.

Nothing connects at import time; `ServiceRuntime.app()` returns a FastStream app whose startup
opens the pool, connects the broker, declares the topology and starts the outbox relay. A process
whose app is not FastStream's (the gateway's FastAPI) wraps its lifespan in
`ServiceRuntime.running()`: the same start and stop.

Given an `http_port`, the process also serves `/healthz`, `/readyz` and `/metrics` on it
(`probes.py`) from the first moment of its start, so a process still waiting for its database
is alive but not ready.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
from faststream import FastStream

from strata.runtime.blobs import open_blob_store
from strata.runtime.broker import build_broker, declare_topology
from strata.runtime.db import create_pool
from strata.runtime.logs import setup_logging
from strata.runtime.ops_server import OpsServer
from strata.runtime.outbox import Outbox
from strata.runtime.probes import Readiness, Sampler, ops_app, outbox_sampler
from strata.runtime.settings import CommonSettings
from strata.runtime.startup import until_up
from strata.runtime.telemetry import setup_telemetry

logger = logging.getLogger(__name__)


class ServiceRuntime:
    def __init__(
        self,
        name: str,
        common: CommonSettings,
        *,
        pool_size: int | None = None,
        http_port: int | None = None,
    ) -> None:
        setup_logging(name, level=common.log_level, as_json=common.log_json)
        self.name = name
        self.common = common
        self.pool_size = pool_size or common.db_pool_size
        self.tracer_provider = setup_telemetry(name)
        self.broker = build_broker(common.amqp_url, tracer_provider=self.tracer_provider)
        self.blobs = open_blob_store(common.blob_config())
        self._pool: asyncpg.Pool | None = None
        # Usable (to build domain objects) before start; it needs the pool only when it runs.
        self.outbox = Outbox(lambda: self.pool, self.broker, producer=name)
        self._tasks: list[asyncio.Task[None]] = []
        self.http_port = http_port
        self.ops: OpsServer | None = None
        # Refreshed at every scrape of /metrics; services add their own (gauges read from SQL).
        self.samplers: list[Sampler] = [outbox_sampler(lambda: self.pool, producer=name)]

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the service has not started: no database pool yet")
        return self._pool

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        """Run a background loop for the life of the process."""
        self._tasks.append(asyncio.ensure_future(coro))
        logger.info("started background task %s", name)

    def readiness(self, *, expects_consumers: bool = True) -> Readiness:
        return Readiness(
            pool=lambda: self.pool, broker=self.broker, expects_consumers=expects_consumers
        )

    async def start(self) -> None:
        if self.http_port is not None and self.ops is None:
            app = ops_app(readiness=self.readiness(), samplers=self.samplers)
            self.ops = OpsServer(app, host=self.common.http_host, port=self.http_port)
            self.ops.start()
        within = self.common.startup_timeout_s
        self._pool = await until_up(
            "postgres",
            lambda: create_pool(self.common.database_url, size=self.pool_size),
            within_s=within,
        )
        await until_up("rabbitmq", self.broker.connect, within_s=within)
        await declare_topology(self.broker)
        relay_after = self.common.outbox_relay_after_s
        self.spawn(
            self.outbox.run_relay(every_s=max(relay_after / 2, 0.5), older_than_s=relay_after),
            "outbox-relay",
        )

    async def stop(self) -> None:
        await self.outbox.drain()
        await self._cancel_tasks()
        await self._release()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["ServiceRuntime"]:
        """Started for the duration of the block: for a lifespan that is not FastStream's.

        FastStream closes its broker before `after_shutdown`; here nobody else does, so it is
        closed here, after the outbox drained (its publishes need the connection) and before
        the pool. A start that fails half-way releases what it had opened."""
        try:
            await self.start()
            yield self
        finally:
            await self.outbox.drain()
            await self._cancel_tasks()
            await self.broker.stop()
            await self._release()

    async def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _release(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        if self.ops is not None:
            await self.ops.stop()
            self.ops = None
        self.tracer_provider.shutdown()

    def app(self, on_ready: Callable[[], Awaitable[None]] | None = None) -> FastStream:
        """`on_ready` runs once the pool and broker connection exist and before any subscriber
        consumes: the place to build the domain objects the handlers call."""
        app = FastStream(self.broker, logger=logging.getLogger(f"strata.{self.name}"))

        @app.on_startup
        async def _start() -> None:
            await self.start()
            if on_ready is not None:
                await on_ready()

        # After the broker stopped consuming, so no in-flight handler loses its pool.
        @app.after_shutdown
        async def _stop() -> None:
            await self.stop()

        return app


def run(app: FastStream) -> None:
    asyncio.run(app.run())

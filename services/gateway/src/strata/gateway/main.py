"""The gateway process: a FastAPI app whose lifespan owns the pool, the broker and the outbox."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from strata.gateway.api_models import ErrorBody
from strata.gateway.deps import Res, Resources
from strata.gateway.errors import ApiError, install_error_handlers
from strata.gateway.routes import api_router
from strata.gateway.settings import GatewaySettings
from strata.gateway.sql import Q
from strata.runtime.blobs import LocalBlobStore
from strata.runtime.broker import build_broker, declare_topology
from strata.runtime.db import create_pool
from strata.runtime.logs import setup_logging
from strata.runtime.outbox import Outbox
from strata.runtime.startup import until_up
from strata.runtime.telemetry import setup_telemetry

PRODUCER = "gateway"


def create_app(settings: GatewaySettings) -> FastAPI:
    common = settings.common

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            tracer_provider = setup_telemetry(PRODUCER)
            stack.callback(tracer_provider.shutdown)
            pool = await until_up(
                "postgres",
                lambda: create_pool(common.database_url, size=common.db_pool_size),
                within_s=common.startup_timeout_s,
            )
            stack.push_async_callback(pool.close)
            broker = build_broker(common.amqp_url, tracer_provider=tracer_provider)
            await until_up("rabbitmq", broker.connect, within_s=common.startup_timeout_s)
            stack.push_async_callback(broker.stop)
            await declare_topology(broker)
            outbox = Outbox(pool, broker, producer=PRODUCER)
            stack.push_async_callback(outbox.drain)  # before the broker and pool close
            relay = asyncio.create_task(
                outbox.run_relay(
                    every_s=max(common.outbox_relay_after_s / 2, 0.5),
                    older_than_s=common.outbox_relay_after_s,
                ),
                name="outbox-relay",
            )
            stack.push_async_callback(_cancel, relay)
            app.state.resources = Resources(
                settings=settings, pool=pool, outbox=outbox, blobs=LocalBlobStore(common.blob_root)
            )
            yield

    app = FastAPI(
        title="Strata",
        summary="Document extraction: upload documents, define schemas, run them, export results.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(api_router())

    @app.get("/healthz", tags=["health"], responses={503: {"model": ErrorBody}})
    async def healthz(res: Res) -> dict[str, str]:
        try:
            await res.pool.fetchval(Q.ping)
        except Exception:
            raise ApiError(503, "unavailable", "the database is unreachable") from None
        return {"status": "ok"}

    return app


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main() -> None:
    settings = GatewaySettings()
    setup_logging(PRODUCER, level=settings.common.log_level, as_json=settings.common.log_json)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()

"""The gateway process: a FastAPI app whose lifespan runs the same `ServiceRuntime` as every
other service (telemetry, pool, broker, topology, outbox relay; drained before it closes)."""

import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from strata.gateway.api_models import ErrorBody
from strata.gateway.domain.event_stream import EventHub
from strata.gateway.routes import api_router
from strata.gateway.settings import GatewaySettings
from strata.gateway.sql import Q
from strata.gateway.web.deps import Res, Resources
from strata.gateway.web.errors import ApiError, install_error_handlers
from strata.runtime.logs import setup_logging
from strata.runtime.service import ServiceRuntime

PRODUCER = "gateway"


def create_app(settings: GatewaySettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Built here, not in create_app: telemetry belongs to a running app, and building an
        # app (tests, `/docs` generation) must not set up anything process-wide.
        runtime = ServiceRuntime(PRODUCER, settings.common)
        async with runtime.running():
            app.state.resources = Resources(
                settings=settings, pool=runtime.pool, outbox=runtime.outbox, blobs=runtime.blobs
            )
            # Live events: one LISTEN connection per process, fanned out to its SSE streams.
            hub = EventHub(dsn=settings.common.database_url, pool=runtime.pool)
            await hub.start()
            app.state.event_hub = hub
            try:
                yield
            finally:
                await hub.stop()

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


def main() -> None:
    settings = GatewaySettings()
    # Before uvicorn's first line; the runtime sets up the same again when the app starts.
    setup_logging(PRODUCER, level=settings.common.log_level, as_json=settings.common.log_json)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()

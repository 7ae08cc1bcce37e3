"""The gateway process: a FastAPI app whose lifespan runs the same `ServiceRuntime` as every
other service (telemetry, pool, broker, topology, outbox relay; drained before it closes), and
consumes the integrations' commands (`commands/`) on the same broker connection."""

import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from strata.gateway.commands.handlers import register as register_commands
from strata.gateway.commands.pg_store import PgCommandStore
from strata.gateway.commands.service import CommandService
from strata.gateway.domain.event_stream import EventHub
from strata.gateway.pages import install_pages
from strata.gateway.routes import api_router
from strata.gateway.settings import GatewaySettings
from strata.gateway.web.deps import Resources
from strata.gateway.web.errors import install_error_handlers
from strata.gateway.web.http_metrics import install_http_metrics
from strata.gateway.web.middleware import install_middleware
from strata.gateway.web.openapi import install_openapi
from strata.runtime.logs import setup_logging
from strata.runtime.probes import metrics_response, readyz_response
from strata.runtime.service import ServiceRuntime
from strata.runtime.sources import FileSource, SourceReader, Sources
from strata.runtime.sources_s3 import S3Source

PRODUCER = "gateway"


def source_readers(settings: GatewaySettings) -> dict[str, SourceReader]:
    """The blob URI schemes an `ingest.requested` command may name, and their readers."""
    readers: dict[str, SourceReader] = {"file": FileSource(settings.import_root_paths)}
    if settings.import_bucket_names:
        readers["s3"] = S3Source(
            like=settings.common.blob_config(), buckets=settings.import_bucket_names
        )
    return readers


def create_app(settings: GatewaySettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Built here, not in create_app: telemetry belongs to a running app, and building an
        # app (tests, `/docs` generation) must not set up anything process-wide.
        runtime = ServiceRuntime(PRODUCER, settings.common)
        async with runtime.running():
            app.state.runtime = runtime
            resources = Resources(
                settings=settings, pool=runtime.pool, outbox=runtime.outbox, blobs=runtime.blobs
            )
            app.state.resources = resources
            commands = CommandService(
                store=PgCommandStore(resources), sources=Sources(source_readers(settings))
            )
            register_commands(runtime.broker, commands, prefetch=settings.commands_prefetch)
            await runtime.broker.start()  # the runtime connected it; this starts consuming
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
    install_http_metrics(app)
    app.include_router(api_router())

    # Liveness: the process answers. Readiness: its database and broker do, and its command
    # consumers are attached.
    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], response_class=JSONResponse)
    async def readyz(request: Request) -> JSONResponse:
        runtime: ServiceRuntime = request.app.state.runtime
        return await readyz_response(runtime.readiness())

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        runtime: ServiceRuntime = request.app.state.runtime
        return await metrics_response(runtime.samplers)

    install_openapi(app, page_size_max=settings.page_size_max)
    install_middleware(app, max_body_bytes=settings.max_body_bytes)
    install_pages(app)  # after the API's error handlers, which the pages' handlers wrap
    return app


def main() -> None:
    settings = GatewaySettings()
    # Before uvicorn's first line; the runtime sets up the same again when the app starts.
    setup_logging(PRODUCER, level=settings.common.log_level, as_json=settings.common.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        # Our access log (web/request_context.py) redacts credentials; uvicorn's would not.
        access_log=False,
    )


if __name__ == "__main__":
    main()

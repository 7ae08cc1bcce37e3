"""The gateway process: a FastAPI app whose lifespan runs the same `ServiceRuntime` as every
other service (telemetry, pool, broker, topology, outbox relay; drained before it closes)."""

import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from strata.gateway.api_models import ErrorBody
from strata.gateway.pages import install_pages
from strata.gateway.routes import api_router
from strata.gateway.settings import GatewaySettings
from strata.gateway.sql import Q
from strata.gateway.web.deps import Res, Resources
from strata.gateway.web.errors import ApiError, install_error_handlers
from strata.gateway.web.middleware import install_middleware
from strata.gateway.web.openapi import install_openapi
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

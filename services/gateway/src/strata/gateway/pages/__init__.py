"""The web app under `/app`: server-rendered pages over the same route functions and domain code
as the API (`/v1`), with htmx for the live parts. Above `routes` in the layers contract: pages
use the API; the API never uses pages."""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from strata.gateway.pages import (
    admin,
    builder,
    compare,
    exports,
    gallery,
    keys,
    live,
    projects,
    review,
    runs,
    schemas,
    signin,
    uploads,
)
from strata.gateway.pages.guard import PREFIX, install_page_errors

STATIC = Path(__file__).parent / "static"


def pages_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    # runs last: its POST /runs/{id}/{action} would otherwise shadow /runs/{id}/exports.
    for module in (
        signin,
        projects,
        uploads,
        gallery,
        schemas,
        builder,
        compare,
        review,
        exports,
        keys,
        admin,
        live,
        runs,
    ):
        router.include_router(module.router)
    return router


def install_pages(app: FastAPI) -> None:
    """After the API's error handlers: the page handlers wrap them."""
    app.include_router(pages_router())
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="static")

    @app.get(PREFIX, include_in_schema=False)
    async def app_root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    install_page_errors(app)

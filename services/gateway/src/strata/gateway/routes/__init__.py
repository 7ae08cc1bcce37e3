"""HTTP routes, one module per resource; all mounted under /v1."""

from fastapi import APIRouter

from strata.gateway.api_models import ErrorBody
from strata.gateway.routes import (
    admin_dead_letters,
    admin_policies,
    documents,
    events,
    exports,
    keys,
    projects,
    review,
    run_control,
    runs,
    schemas,
    webhooks,
)

_ERRORS = {
    401: {"model": ErrorBody, "description": "missing, invalid or revoked token"},
    404: {"model": ErrorBody, "description": "unknown id (or another account's)"},
    422: {"model": ErrorBody, "description": "invalid request"},
}


def api_router() -> APIRouter:
    router = APIRouter(prefix="/v1", responses=_ERRORS)  # type: ignore[arg-type]
    for module in (
        projects,
        documents,
        schemas,
        runs,
        run_control,
        review,
        exports,
        keys,
        admin_dead_letters,
        admin_policies,
        events,
        webhooks,
    ):
        router.include_router(module.router)
    return router

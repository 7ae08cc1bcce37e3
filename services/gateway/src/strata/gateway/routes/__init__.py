"""HTTP routes, one module per resource; all mounted under /v1."""

from fastapi import APIRouter

from strata.gateway.api_models import ErrorBody
from strata.gateway.routes import (
    admin_dead_letters,
    admin_policies,
    builder,
    documents,
    evaluations,
    events,
    exports,
    keys,
    projects,
    review,
    run_control,
    runs,
    schemas,
    templates,
    tokens,
    webhooks,
)

_ERRORS = {
    400: {"model": ErrorBody, "description": "`bad_request` (malformed JSON), `invalid_cursor`"},
    401: {"model": ErrorBody, "description": "missing, invalid, expired or revoked token"},
    404: {"model": ErrorBody, "description": "unknown id (or another account's)"},
    413: {"model": ErrorBody, "description": "`body_too_large`: JSON bodies are limited"},
    422: {"model": ErrorBody, "description": "invalid request"},
    429: {
        "model": ErrorBody,
        "description": "`rate_limited`: too many requests this minute; see `Retry-After`",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    },
}


def api_router() -> APIRouter:
    router = APIRouter(prefix="/v1", responses=_ERRORS)  # type: ignore[arg-type]
    for module in (
        projects,
        documents,
        schemas,
        builder,
        templates,
        evaluations,
        runs,
        run_control,
        review,
        exports,
        keys,
        tokens,
        admin_dead_letters,
        admin_policies,
        events,
        webhooks,
    ):
        router.include_router(module.router)
    return router

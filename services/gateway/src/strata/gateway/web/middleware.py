"""The ASGI layers around the routes, installed once by `create_app`."""

from fastapi import FastAPI
from starlette.types import Scope

from strata.gateway.web.body_guard import BodyGuard
from strata.gateway.web.openapi import is_upload, path_methods
from strata.gateway.web.request_context import RequestContext


def install_middleware(app: FastAPI, *, max_body_bytes: int) -> None:
    """Call after every route is included and the OpenAPI document is installed: the table of
    paths (405 `Allow`, upload routes) is read from it."""
    table = path_methods(app.openapi())
    app.state.path_methods = table

    def upload(scope: Scope) -> bool:
        return is_upload(table, scope["path"], scope["method"])

    app.add_middleware(BodyGuard, max_body_bytes=max_body_bytes, is_upload=upload)
    app.add_middleware(RequestContext)  # added last = outermost: ids exist for every answer

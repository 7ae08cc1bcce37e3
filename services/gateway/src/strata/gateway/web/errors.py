"""One error shape for every failure: `{"error": {"code", "message", "request_id"}}`, plus
`details` (machine-readable specifics) for some codes and `path` (a JSON Pointer into the
request body) when one value of the request is at fault.

Codes are stable snake_case identifiers clients may branch on; messages are for people and never
carry internal detail (no stack traces, no SQL); `request_id` is the `X-Request-ID` of the
answer, so a user's report finds the server's log lines.
"""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from strata.gateway.web.cursors import InvalidCursorError
from strata.gateway.web.openapi import allowed_methods
from strata.runtime.blobs import BlobStoreError
from strata.runtime.logs import request_id_var

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: Any = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        # Machine-readable specifics (which parameters failed, the latest version): optional.
        self.details = details
        # JSON Pointer of the offending value in the request body (invalid_schema).
        self.path = path


def not_found(what: str) -> ApiError:
    # Unknown ids and other tenants' ids must be indistinguishable, so the text names only the kind.
    return ApiError(404, "not_found", f"{what} not found")


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    details: Any = None,
    *,
    path: str | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    if path is not None:
        error["path"] = path
    if (request_id := request_id_var.get()) is not None:
        error["request_id"] = request_id
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def describe_validation_errors(errors: Any) -> str:
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return "; ".join(parts) or "invalid request"


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        exc.status, exc.code, exc.message, exc.headers, exc.details, path=exc.path
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    # A malformed id in the path is just an id that does not exist: answer like one.
    if any(err.get("loc", ("",))[0] == "path" for err in errors):
        return error_response(404, "not_found", "resource not found")
    return error_response(422, "invalid_request", describe_validation_errors(errors))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette lists the methods of the first route whose path matched; a path served by
        # several routes (GET and POST on /v1/projects) must list all of them.
        table = getattr(request.app.state, "path_methods", [])
        headers["Allow"] = ", ".join(sorted(allowed_methods(table, request.url.path)))
    return error_response(exc.status_code, code, message, headers or None)


async def _invalid_cursor(_: Request, exc: Exception) -> JSONResponse:
    return error_response(400, "invalid_cursor", str(exc))


async def _blob_store_down(_: Request, exc: Exception) -> JSONResponse:
    # Object storage unreachable or refusing: the request may succeed later; the detail (which
    # endpoint, which error) stays in the log.
    logger.warning("blob storage failed: %s", exc, exc_info=exc.__cause__)
    message = "file storage is unavailable; try again"
    return error_response(503, "blob_store_unavailable", message, {"Retry-After": "5"})


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(InvalidCursorError, _invalid_cursor)
    app.add_exception_handler(BlobStoreError, _blob_store_down)
    app.add_exception_handler(Exception, _unexpected)

"""What every page answer carries: security headers, and errors as pages instead of JSON.

The API's JSON error handlers stay in charge of `/v1`; for `/app` the same exceptions render an
HTML page with the same status and the API's message (a foreign id is the same 404 page as an
unknown one), and a missing session is a redirect to the sign-in page."""

import logging
from collections.abc import Awaitable, Callable
from typing import cast
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from strata.gateway.pages.render import html, see_other
from strata.gateway.pages.session import SignInRequiredError
from strata.gateway.web.errors import ApiError, describe_validation_errors

logger = logging.getLogger(__name__)
PREFIX = "/app"
# No inline script or style anywhere: htmx is told not to inject its indicator style (see the
# layout), so 'self' is enough. EventSource and htmx requests stay on this origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
TITLES = {403: "Not allowed", 404: "Not found", 409: "Conflict", 422: "Not valid"}
Handler = Callable[[Request, Exception], Awaitable[Response]]


class SecurityHeaders:
    """Pure ASGI (not BaseHTTPMiddleware) so streamed answers (SSE, downloads) stream."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def error_page(status: int, message: str) -> Response:
    title = TITLES.get(status, "Something went wrong")
    return html("error.html", status=status, title=title, message=message)


def _page_answer(exc: Exception) -> Response:
    if isinstance(exc, SignInRequiredError):
        return see_other(f"{PREFIX}/signin?next={quote(exc.next_path, safe='/')}")
    if isinstance(exc, ApiError):
        return (
            see_other(f"{PREFIX}/signin")
            if exc.status == 401
            else error_page(exc.status, exc.message)
        )
    if isinstance(exc, RequestValidationError):
        errors = exc.errors()
        if any(err.get("loc", ("",))[0] == "path" for err in errors):
            return error_page(404, "There is nothing at this address.")
        return error_page(422, describe_validation_errors(errors))
    if isinstance(exc, HTTPException):
        return error_page(exc.status_code, str(exc.detail))
    logger.exception("unhandled error on a page", exc_info=exc)
    return error_page(500, "Something went wrong on our side. Try again in a moment.")


def install_page_errors(app: FastAPI) -> None:
    """Wrap the API's handlers (installed first) so `/app` answers pages and `/v1` stays JSON."""
    for kind in (ApiError, RequestValidationError, HTTPException, Exception, SignInRequiredError):
        api_handler = cast(Handler | None, app.exception_handlers.get(kind))

        async def handler(
            request: Request, exc: Exception, api_handler: Handler | None = api_handler
        ) -> Response:
            if request.url.path.startswith(PREFIX) or api_handler is None:
                return _page_answer(exc)
            return await api_handler(request, exc)

        app.add_exception_handler(kind, handler)
    app.add_middleware(SecurityHeaders)

"""Per-request context (pure ASGI, the outermost layer of the app).

- `X-Request-ID`: a sane incoming one is kept (so a caller's id follows the request through our
  logs), anything else is replaced by a new one; it is on every response, in every error body
  and on every log line written while the request runs (`strata.runtime.logs.request_id_var`).
- A server span per request, continuing an incoming `traceparent`; its trace id is answered as
  `X-Trace-ID` and joins the messages the request emits (the outbox stores the context).
- The access log line, with credentials in the query string (`access_token=…`) redacted; the
  server's own access log is off (`uvicorn.run(access_log=False)`) because it writes them raw.
- The last resort for an unexpected exception: a logged `500 internal_error` in our shape,
  still carrying the request id.
"""

import logging
import re
import time
import uuid
from urllib.parse import parse_qsl, urlencode

from opentelemetry import propagate, trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from strata.gateway.web.errors import error_response
from strata.runtime.logs import request_id_var

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("strata.gateway.access")
tracer = trace.get_tracer(__name__)

_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_SECRET_NAMES = re.compile(r"token|key|secret|password|passwd|auth|credential|signature|sig$", re.I)
REDACTED = "REDACTED"


def request_id_from(incoming: str | None) -> str:
    if incoming is not None and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def redact_query(raw: str) -> str:
    """The query string with the value of every credential-like parameter replaced."""
    if not raw:
        return ""
    pairs = parse_qsl(raw, keep_blank_values=True)
    return urlencode([(k, REDACTED if _SECRET_NAMES.search(k) else v) for k, v in pairs])


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = request_id_from(headers.get("x-request-id"))
        request_id_var.set(request_id)
        started, status = time.perf_counter(), 500
        span_name = f"{scope['method']} {scope['path']}"
        with tracer.start_as_current_span(
            span_name, context=propagate.extract(headers), kind=trace.SpanKind.SERVER
        ) as span:
            span_context = span.get_span_context()
            extra = [(b"x-request-id", request_id.encode())]
            if span_context.is_valid:
                extra.append((b"x-trace-id", format(span_context.trace_id, "032x").encode()))
            started_response = False

            async def send_with_ids(message: Message) -> None:
                nonlocal started_response, status
                if message["type"] == "http.response.start":
                    started_response, status = True, message["status"]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await send(message)

            try:
                await self.app(scope, receive, send_with_ids)
            except Exception:
                logger.exception("unhandled error")
                if not started_response:
                    await error_response(500, "internal_error", "internal error")(
                        scope, receive, send_with_ids
                    )
            span.set_attribute("http.status_code", status)
        query = redact_query(scope.get("query_string", b"").decode("latin-1"))
        access_logger.info(
            "%s %s%s %d %.1fms",
            scope["method"],
            scope["path"],
            f"?{query}" if query else "",
            status,
            (time.perf_counter() - started) * 1000,
        )

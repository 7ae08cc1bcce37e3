"""Request counts and latency for the API, labelled by the route's template (`/v1/runs/{run_id}`)
rather than its path, so an id never becomes a label value."""

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "strata_http_requests",
    "HTTP requests answered by the gateway, by method, route template and status code",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "strata_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template",
    ["method", "route"],
)
# Scrapes and probes would dominate the figures and say nothing about the API.
_UNCOUNTED = frozenset({"/metrics", "/healthz", "/readyz"})


def route_template(request: Request) -> str:
    """The matched route's template with the prefixes of the routers it sits in (a nested
    router's route knows only its own part: `/runs/{run_id}` under `/v1`)."""
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return "unmatched"
    own = template.strip("/").split("/")
    full = request.url.path.strip("/").split("/")
    prefix = full[: max(len(full) - len(own), 0)]
    return "/" + "/".join([*prefix, *own]) if own != [""] else "/" + "/".join(prefix)


def install_http_metrics(app: FastAPI) -> None:
    @app.middleware("http")
    async def count_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path in _UNCOUNTED:
            return await call_next(request)
        # Read after the call: routing sets scope["route"] on its way down.
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = route_template(request)
            REQUEST_SECONDS.labels(method=request.method, route=route).observe(
                time.perf_counter() - started
            )
            REQUESTS.labels(method=request.method, route=route, status=str(status)).inc()

"""HTTP layer: auth, body decoding, Anthropic-shaped errors, admin endpoints."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from strata.llm_sim.batches import BatchDesk
from strata.llm_sim.engine import SimError, Simulator, invalid
from strata.llm_sim.faults import KINDS, parse_rules
from strata.llm_sim.openai_shape import as_chat_completion, as_messages_body
from strata.llm_sim.settings import Settings

logger = logging.getLogger(__name__)

SIM_HEADERS = {"x-strata-simulated": "true"}


def _respond(
    sim: Simulator, status: int, body: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    sim.stats.statuses[str(status)] += 1
    extra = {**SIM_HEADERS, "request-id": f"req_sim_{secrets.token_hex(12)}", **(headers or {})}
    return JSONResponse(body, status_code=status, headers=extra)


def _error(sim: Simulator, exc: SimError) -> JSONResponse:
    body = {"type": "error", "error": {"type": exc.error_type, "message": exc.message}}
    return _respond(sim, exc.status, body, exc.headers)


def _api_key(request: Request, settings: Settings) -> str:
    """The SDK sends either x-api-key or Authorization: Bearer, depending on version/config."""
    key = request.headers.get("x-api-key", "").strip()
    if not key:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
    if not key:
        raise SimError(401, "authentication_error", "x-api-key header is required")
    if key in settings.invalid_key_set:
        raise SimError(401, "authentication_error", "invalid x-api-key")
    return key


async def _json(request: Request, expected: type) -> Any:
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise invalid(f"There was an error parsing the body of your request: {exc}") from exc
    if not isinstance(body, expected):
        raise invalid(f"request body must be a JSON {expected.__name__}")
    return body


def _fault_headers(request: Request) -> tuple[str | None, float | None]:
    kind = request.headers.get("x-sim-fault") or None
    if kind is not None and kind not in KINDS:
        raise invalid(f"x-sim-fault: unknown fault kind {kind!r}; expected one of {KINDS}")
    raw_rate = request.headers.get("x-sim-fault-rate")
    if raw_rate is None:
        return kind, None
    try:
        rate = float(raw_rate)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise invalid(f"x-sim-fault-rate must be a number within 0..1, got {raw_rate!r}")
    return kind, rate


def _base_url(request: Request) -> str:
    """Where this simulator is reached (results_url is absolute, as the real API's is)."""
    return str(request.base_url).rstrip("/")


def _batch_routes(app: FastAPI, sim: Simulator, desk: BatchDesk, settings: Settings) -> None:
    """The Message Batches API (`client.messages.batches.*` in the SDK)."""

    @app.post("/v1/messages/batches")
    async def create_batch(request: Request) -> JSONResponse:
        api_key = _api_key(request, settings)
        raw = await request.body()
        batch = desk.create(api_key=api_key, body=await _json(request, dict), raw_size=len(raw))
        return _respond(sim, 200, batch.as_dict(_base_url(request)))

    @app.get("/v1/messages/batches")
    async def list_batches(
        request: Request, limit: int = 20, after_id: str | None = None, before_id: str | None = None
    ) -> JSONResponse:
        api_key = _api_key(request, settings)
        if not 1 <= limit <= 1000:
            raise invalid("limit must be within 1..1000")
        page, has_more = await desk.list(
            api_key=api_key, limit=limit, after_id=after_id, before_id=before_id
        )
        base = _base_url(request)
        return _respond(
            sim,
            200,
            {
                "data": [b.as_dict(base) for b in page],
                "has_more": has_more,
                "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None,
            },
        )

    @app.get("/v1/messages/batches/{batch_id}")
    async def retrieve_batch(request: Request, batch_id: str) -> JSONResponse:
        batch = await desk.get(api_key=_api_key(request, settings), batch_id=batch_id)
        return _respond(sim, 200, batch.as_dict(_base_url(request)))

    @app.post("/v1/messages/batches/{batch_id}/cancel")
    async def cancel_batch(request: Request, batch_id: str) -> JSONResponse:
        batch = await desk.cancel(api_key=_api_key(request, settings), batch_id=batch_id)
        return _respond(sim, 200, batch.as_dict(_base_url(request)))

    @app.get("/v1/messages/batches/{batch_id}/results")
    async def batch_results(request: Request, batch_id: str) -> Response:
        text = await desk.results_jsonl(api_key=_api_key(request, settings), batch_id=batch_id)
        sim.stats.statuses["200"] += 1
        return Response(text, media_type="application/x-jsonl", headers=SIM_HEADERS)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    sim = Simulator(settings)
    app = FastAPI(title="strata-llm-sim", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sim = sim
    desk = BatchDesk(sim)
    _batch_routes(app, sim, desk, settings)

    @app.exception_handler(SimError)
    async def _sim_error(_: Request, exc: SimError) -> JSONResponse:
        return _error(sim, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        error_type = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return _error(sim, SimError(exc.status_code, error_type, str(exc.detail)))

    @app.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"}, headers=SIM_HEADERS)

    @app.post("/v1/messages")
    async def messages(request: Request) -> JSONResponse:
        sim.stats.requests += 1
        api_key = _api_key(request, settings)
        body = await _json(request, dict)
        forced_kind, request_rate = _fault_headers(request)
        result = await sim.messages(
            body=body, api_key=api_key, forced_kind=forced_kind, request_rate=request_rate
        )
        return _respond(sim, 200, result)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> JSONResponse:
        """The same simulation behind an OpenAI-compatible endpoint (no cache_control there)."""
        sim.stats.requests += 1
        api_key = _api_key(request, settings)
        body = await _json(request, dict)
        forced_kind, request_rate = _fault_headers(request)
        result = await sim.messages(
            body=as_messages_body(body), api_key=api_key, forced_kind=forced_kind,
            request_rate=request_rate,
        )  # fmt: skip
        return _respond(sim, 200, as_chat_completion(result))

    @app.get("/v1/models")
    async def models(request: Request) -> JSONResponse:
        _api_key(request, settings)
        return _respond(sim, 200, {"object": "list", "data": [{"id": "sim", "object": "model"}]})

    @app.post("/v1/messages/count_tokens")
    async def count_tokens(request: Request) -> JSONResponse:
        _api_key(request, settings)
        return _respond(sim, 200, sim.count_tokens(await _json(request, dict)))

    @app.post("/_sim/rules")
    async def set_rules(request: Request) -> JSONResponse:
        try:
            sim.faults.admin_rules = parse_rules(await _json(request, list))
        except ValueError as exc:
            raise invalid(str(exc)) from exc
        return JSONResponse({"rules": len(sim.faults.admin_rules)}, headers=SIM_HEADERS)

    @app.get("/_sim/stats")
    async def stats() -> JSONResponse:
        return JSONResponse(
            {**sim.stats.as_dict(), "cache_entries": len(sim.cache)}, headers=SIM_HEADERS
        )

    @app.post("/_sim/reset")
    async def reset() -> JSONResponse:
        sim.reset()
        desk.reset()
        return JSONResponse({"status": "reset"}, headers=SIM_HEADERS)

    return app

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
from strata.llm_sim.prompt import PromptError, request_pieces
from strata.llm_sim.ratelimit import Limits, RateLimitedError, RateLimiter, Ticket
from strata.llm_sim.settings import Settings
from strata.llm_sim.tokens import total_tokens

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
def _admit(
    sim: Simulator, limiter: RateLimiter, api_key: str, body: dict[str, Any]
) -> Ticket | None:
    """Charge the request to its key's buckets (its uncached input, max_tokens of output) or
    answer 429. A request the simulator will refuse as invalid is not charged."""
    if not limiter.limits.enabled:
        return None
    model, max_tokens = body.get("model"), body.get("max_tokens")
    if not isinstance(model, str) or type(max_tokens) is not int:
        return None  # the simulator answers 400
    try:
        pieces = request_pieces(body)
    except PromptError:
        return None
    uncached = total_tokens(p.text for p in pieces) - sim.cache.read_tokens(
        api_key=api_key, model=model, pieces=pieces
    )
    try:
        return limiter.admit(api_key, model, input_tokens=uncached, max_tokens=max_tokens)
    except RateLimitedError as exc:
        raise SimError(429, "rate_limit_error", str(exc), exc.headers) from None


async def _limited_messages(
    sim: Simulator,
    limiter: RateLimiter,
    *,
    body: dict[str, Any],
    api_key: str,
    forced_kind: str | None,
    request_rate: float | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The simulated answer and the rate-limit headers it carries; errors carry them too."""
    ticket = _admit(sim, limiter, api_key, body)
    try:
        result = await sim.messages(
            body=body, api_key=api_key, forced_kind=forced_kind, request_rate=request_rate
        )
    except BaseException as exc:  # a fault, a bad request, or the client gone: costs nothing
        if ticket is not None:
            ticket.cancel()
            if isinstance(exc, SimError):
                exc.headers.update(ticket.headers())
        raise
    if ticket is None:
        return result, {}
    usage = result["usage"]
    ticket.settle(
        input_tokens=usage["input_tokens"] + usage["cache_creation_input_tokens"],
        output_tokens=usage["output_tokens"],
    )
    return result, ticket.headers()


def _limits_dict(limiter: RateLimiter) -> dict[str, int | None]:
    limits = limiter.limits
    return {
        "requests_per_minute": limits.requests_per_minute,
        "input_tokens_per_minute": limits.input_tokens_per_minute,
        "output_tokens_per_minute": limits.output_tokens_per_minute,
    }


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    sim = Simulator(settings)
    limiter = RateLimiter(settings.limits, remaining_rounding=settings.ratelimit_remaining_rounding)
    app = FastAPI(title="strata-llm-sim", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sim = sim
    desk = BatchDesk(sim)
    _batch_routes(app, sim, desk, settings)
    app.state.limiter = limiter

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
        result, headers = await _limited_messages(
            sim, limiter, body=body, api_key=api_key, forced_kind=forced_kind,
            request_rate=request_rate,
        )  # fmt: skip
        return _respond(sim, 200, result, headers)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> JSONResponse:
        """The same simulation behind an OpenAI-compatible endpoint (no cache_control there)."""
        sim.stats.requests += 1
        api_key = _api_key(request, settings)
        body = await _json(request, dict)
        forced_kind, request_rate = _fault_headers(request)
        result, headers = await _limited_messages(
            sim, limiter, body=as_messages_body(body), api_key=api_key, forced_kind=forced_kind,
            request_rate=request_rate,
        )  # fmt: skip
        return _respond(sim, 200, as_chat_completion(result), headers)

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

    @app.post("/_sim/limits")
    async def set_limits(request: Request) -> JSONResponse:
        """Replace the per-minute limits (every bucket starts full again)."""
        try:
            limiter.reset(Limits.parse(await _json(request, dict)))
        except ValueError as exc:
            raise invalid(str(exc)) from exc
        return JSONResponse({"limits": _limits_dict(limiter)}, headers=SIM_HEADERS)

    @app.get("/_sim/stats")
    async def stats() -> JSONResponse:
        rate_limits = {
            "limits": _limits_dict(limiter),
            "admitted": limiter.admitted,
            "rejected": limiter.rejected,
        }
        return JSONResponse(
            {**sim.stats.as_dict(), "cache_entries": len(sim.cache), "rate_limits": rate_limits},
            headers=SIM_HEADERS,
        )

    @app.post("/_sim/reset")
    async def reset() -> JSONResponse:
        sim.reset()
        desk.reset()
        limiter.reset(settings.limits)
        return JSONResponse({"status": "reset"}, headers=SIM_HEADERS)

    return app

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from strata.gateway.web.http_metrics import install_http_metrics


def _app() -> FastAPI:
    inner = APIRouter()

    @inner.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    outer = APIRouter(prefix="/v9")
    outer.include_router(inner)
    app = FastAPI()
    install_http_metrics(app)
    app.include_router(outer)
    return app


def _count(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("strata_http_requests_total", labels) or 0.0


def test_requests_are_counted_by_route_template_never_by_id():
    before = _count("/v9/things/{thing_id}", "200"), _count("unmatched", "404")
    with TestClient(_app()) as http:
        assert http.get("/v9/things/1234").status_code == 200
        assert http.get("/v9/things/5678").status_code == 200
        assert http.get("/nowhere").status_code == 404
    assert _count("/v9/things/{thing_id}", "200") == before[0] + 2
    assert _count("unmatched", "404") == before[1] + 1

"""Hostile schemas and budgets are refused by the gateway with a stable code and a path."""

from decimal import Decimal

import pytest

from tests.integration.gateway.conftest import Gateway, make_ready
from tests.integration.gateway.test_api import _project, _schema, _upload
from tests.support.api import assert_error as _error

pytestmark = pytest.mark.integration


async def _post_schema(gw: Gateway, auth, project_id: str, definition: dict, **extra):
    body = {"name": "hostile", "definition": definition, **extra}
    return await gw.client.post(f"/v1/projects/{project_id}/schemas", json=body, headers=auth)


def _nested(depth: int) -> dict:
    node: dict = {"type": "string"}
    for _ in range(depth):
        node = {"type": "object", "properties": {"x": node}}
    return {"properties": {"x": node}}


@pytest.mark.parametrize(
    ("definition", "path"),
    [
        ({"properties": {"a": {"$ref": "http://127.0.0.1:9912/slow.json"}}}, "/definition/properties/a/$ref"),
        ({"properties": {"a": {"$ref": "#/$defs/missing"}}}, "/definition/properties/a/$ref"),
        ({"properties": {"a": {"type": "object", "properties": {"b": {"$ref": "#"}}}}},
         "/definition/properties/a/properties/b/$ref"),
        ({"properties": {"a": {"type": "string", "pattern": "(?<=x)y"}}}, "/definition/properties/a/pattern"),
        # 20 levels of properties are 42 levels of JSON: past GATEWAY_SCHEMA_MAX_DEPTH (32), within
        # the body guard's 64 (a 95-deep one is refused by that guard: see below).
        (_nested(20), "/definition/properties/x"),
        # Past GATEWAY_SCHEMA_MAX_BYTES (64 KiB), within the body limit (a 10 MB one: see below).
        ({"properties": {"a": {"type": "string", "description": "x" * 100 * 1024}}}, "/definition"),
    ],
)
async def test_hostile_schemas_answer_422_with_the_path(gw: Gateway, definition, path):
    auth = await gw.account()
    project = await _project(gw, auth)
    response = await _post_schema(gw, auth, project["id"], definition)
    _error_with_path = response.json()["error"]
    assert response.status_code == 422, response.text
    assert _error_with_path["code"] == "invalid_schema"
    assert _error_with_path["path"].startswith(path)
    assert path in _error_with_path["message"]


async def test_a_schema_nested_95_deep_is_refused_before_any_parser_recurses(gw: Gateway):
    # It answered 500 (RecursionError) before; the request body guard now refuses any JSON body
    # nested deeper than 64 levels, so it never reaches the schema rules.
    auth = await gw.account()
    project = await _project(gw, auth)
    response = await _post_schema(gw, auth, project["id"], _nested(95))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


async def test_a_10_mb_description_is_refused_while_the_body_is_read(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    huge = {"properties": {"a": {"type": "string", "description": "x" * 10 * 1024 * 1024}}}
    response = await _post_schema(gw, auth, project["id"], huge)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "body_too_large"


async def test_a_schema_whose_prompt_fills_the_context_is_refused(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    # 60 KB of instructions is ~15,000 tokens: fine under the default policy, not under 20,000.
    instructions = {"system_instructions": "Be careful. " * 5000}
    ok = await _post_schema(gw, auth, project["id"], {"properties": {"a": {}}}, prompt_config=instructions)
    assert ok.status_code == 201, ok.text
    await gw.pool.execute(
        "UPDATE policies SET settings = settings || '{\"context_budget_tokens\": 20000,"
        " \"max_tokens\": 1024}'::jsonb"
    )
    body = {"name": "other", "definition": {"properties": {"a": {}}}, "prompt_config": instructions}
    refused = await gw.client.post(f"/v1/projects/{project['id']}/schemas", json=body, headers=auth)
    assert "constant prompt" in _error(refused, 422, "invalid_schema")
    document_id = await _ready(gw, auth, project["id"])
    run = {"schema_id": ok.json()["id"], "document_ids": [document_id]}
    for dry_run in (True, False):
        response = await gw.client.post("/v1/runs", json={**run, "dry_run": dry_run}, headers=auth)
        _error(response, 422, "prompt_too_large")


async def _ready(gw: Gateway, auth, project_id: str) -> str:
    response = await _upload(gw, auth, project_id, b"# doc\n\nsome text")
    document_id = response.json()["id"]
    await make_ready(gw.pool, document_id, [0])
    return document_id


@pytest.mark.parametrize(
    "overrides",
    [
        {"model": ""},
        {"model": "   "},
        {"budget_usd": "Infinity"},
        {"budget_usd": "NaN"},
        {"budget_usd": 0},
        {"budget_usd": "-1"},
    ],
)
async def test_bad_models_and_budgets_are_refused_for_real_and_dry_runs(gw: Gateway, overrides):
    auth = await gw.account()
    project = await _project(gw, auth)
    schema = await _schema(gw, auth, project["id"])
    document_id = await _ready(gw, auth, project["id"])
    for dry_run in (True, False):
        body = {
            "schema_id": schema["id"],
            "document_ids": [document_id],
            "policy_overrides": overrides,
            "dry_run": dry_run,
        }
        response = await gw.client.post("/v1/runs", json=body, headers=auth)
        _error(response, 422, "invalid_policy_override")
    assert await gw.pool.fetchval("SELECT count(*) FROM runs") == 0


async def test_a_blank_model_is_refused_in_the_admin_policy_and_the_schema(gw: Gateway):
    auth = await gw.account()
    await gw.pool.execute("UPDATE accounts SET is_superuser = true")
    response = await gw.client.patch("/v1/admin/policies", json={"model": ""}, headers=auth)
    _error(response, 422, "invalid_policy")
    project = await _project(gw, auth)
    response = await _post_schema(
        gw, auth, project["id"], {"properties": {"a": {}}}, prompt_config={"model": ""}
    )
    _error(response, 422, "invalid_schema")


async def test_a_runs_budget_can_be_raised_but_not_below_what_it_spent(gw: Gateway):
    auth = await gw.account()
    other = await gw.account("other")
    project = await _project(gw, auth)
    schema = await _schema(gw, auth, project["id"])
    document_id = await _ready(gw, auth, project["id"])
    body = {"schema_id": schema["id"], "document_ids": [document_id],
            "policy_overrides": {"budget_usd": "1.00"}}
    run = (await gw.client.post("/v1/runs", json=body, headers=auth)).json()
    url = f"/v1/runs/{run['id']}/budget"
    await gw.pool.execute(
        "UPDATE run_budgets SET spent_usd = 0.75, reserved_usd = 0.2 WHERE run_id = $1",
        __import__("uuid").UUID(run["id"]),
    )
    _error(await gw.client.post(url, json={"budget_usd": "0.90"}, headers=auth), 409, "budget_too_low")
    for bad in ("Infinity", "NaN", "0", "-2", "abc"):
        _error(await gw.client.post(url, json={"budget_usd": bad}, headers=auth), 422, "invalid_request")
    _error(await gw.client.post(url, json={"budget_usd": "5"}, headers=other), 404, "not_found")
    raised = await gw.client.post(url, json={"budget_usd": "12.50"}, headers=auth)
    assert raised.status_code == 200, raised.text
    assert Decimal(str(raised.json()["usage"]["budget_usd"])) == Decimal("12.50")
    # A run created without a cap has none to raise.
    uncapped = {"schema_id": schema["id"], "document_ids": [document_id]}
    run2 = (await gw.client.post("/v1/runs", json=uncapped, headers=auth)).json()
    response = await gw.client.post(f"/v1/runs/{run2['id']}/budget", json={"budget_usd": "3"}, headers=auth)
    _error(response, 409, "no_budget")

"""Every list route pages with a cursor and a bounded limit; schema versions are listed."""

from uuid import uuid4

import pytest

from tests.integration.gateway.conftest import Gateway, make_ready

pytestmark = pytest.mark.integration

SCHEMA = {"properties": {"amount": {"type": "number"}}}


async def _all_pages(gw: Gateway, auth, path: str, limit: int) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await gw.client.get(path, params=params, headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "paging never ends"


async def test_every_list_pages(gw: Gateway):
    auth = await gw.account()
    projects = [
        (await gw.client.post("/v1/projects", json={"name": f"p{i}"}, headers=auth)).json()
        for i in range(5)
    ]
    pages = await _all_pages(gw, auth, "/v1/projects", 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [p["id"] for page in pages for p in page] == [p["id"] for p in reversed(projects)]

    pid = projects[0]["id"]
    documents = []
    for i in range(3):
        files = {"file": (f"{i}.md", f"# doc {i}".encode(), "text/markdown")}
        up = await gw.client.post(f"/v1/projects/{pid}/documents", files=files, headers=auth)
        documents.append(up.json()["id"])
        await make_ready(gw.pool, documents[-1], [0])
    pages = await _all_pages(gw, auth, f"/v1/projects/{pid}/documents", 2)
    assert [d["id"] for page in pages for d in page] == documents[::-1]

    schemas = f"/v1/projects/{pid}/schemas"
    for name in ("c", "a", "b"):
        body = {"name": name, "definition": SCHEMA}
        assert (await gw.client.post(schemas, json=body, headers=auth)).status_code == 201
    pages = await _all_pages(gw, auth, schemas, 2)
    assert [s["name"] for page in pages for s in page] == ["a", "b", "c"]

    first = pages[0][0]
    for version in range(1, 4):
        # Each version different: content identical to the latest creates nothing (200).
        definition = {"properties": {**SCHEMA["properties"], f"v{version}": {"type": "string"}}}
        body = {"definition": definition, "base_version": version}
        added = await gw.client.post(f"/v1/schemas/{first['id']}/versions", json=body, headers=auth)
        assert added.status_code == 201, added.text
    pages = await _all_pages(gw, auth, f"/v1/schemas/{first['id']}/versions", 3)
    assert [[s["version"] for s in page] for page in pages] == [[1, 2, 3], [4]]

    runs = []
    for document_id in documents:
        body = {"schema_id": first["id"], "document_ids": [document_id]}
        runs.append((await gw.client.post("/v1/runs", json=body, headers=auth)).json()["id"])
    pages = await _all_pages(gw, auth, f"/v1/projects/{pid}/runs", 2)
    assert [r["id"] for page in pages for r in page] == runs[::-1]


async def test_limit_is_bounded_and_documented(start_gateway):
    gw = await start_gateway(page_size_max=50)
    auth = await gw.account()
    for limit in (0, -1, 51):
        response = await gw.client.get("/v1/projects", params={"limit": limit}, headers=auth)
        assert response.status_code == 422, response.text
    document = (await gw.client.get("/openapi.json")).json()
    limits = [
        p["schema"]
        for item in document["paths"].values()
        for op in item.values()
        for p in op.get("parameters", [])
        if p["name"] == "limit"
    ]
    assert len(limits) >= 8
    assert all(s["minimum"] == 1 and s["maximum"] == 50 for s in limits), limits


async def test_versions_of_another_account_are_not_found(gw: Gateway):
    auth, other = await gw.account("a"), await gw.account("b")
    pid = (await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)).json()["id"]
    body = {"name": "s", "definition": SCHEMA}
    sid = (await gw.client.post(f"/v1/projects/{pid}/schemas", json=body, headers=auth)).json()
    for who, status in ((other, 404), (auth, 200)):
        got = await gw.client.get(f"/v1/schemas/{sid['id']}/versions", headers=who)
        assert got.status_code == status
    missing = await gw.client.get(f"/v1/schemas/{uuid4()}/versions", headers=auth)
    assert missing.status_code == 404


async def test_openapi_says_what_the_api_does(gw: Gateway):
    document = (await gw.client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    run_create = schemas["RunCreate"]
    assert [branch["required"] for branch in run_create["oneOf"]] == [
        ["document_ids"],
        ["project_id"],
    ]
    assert schemas["SchemaCreate"]["properties"]["definition"]["required"] == ["properties"]
    projects = document["paths"]["/v1/projects"]["post"]["responses"]
    assert {"400", "413", "422", "429"} <= set(projects)
    usage = schemas["RunUsage"]["properties"]["cost_usd"]
    assert usage["type"] == "string"
    exports = document["paths"]["/v1/runs/{run_id}/exports"]["post"]
    assert "requestBody" in exports

"""The web app's pages over ASGI against real Postgres and RabbitMQ: sessions, CSRF, headers,
tenancy, escaping, and that refusals are pages (never a 500)."""

import re
from uuid import uuid4

import httpx
import pytest

from strata.gateway.web.auth import create_account
from tests.integration.gateway.conftest import Browser, Gateway, make_ready
from tests.support.planning import plan_all
from tests.support.web import csrf_of, page_csrf, sign_in

pytestmark = pytest.mark.integration



async def _signed_in(gw: Gateway, browser: Browser, name: str = "acme") -> httpx.AsyncClient:
    _, token = await create_account(gw.pool, name)
    client = browser()
    answer = await sign_in(client, token)
    assert answer.status_code == 303 and answer.headers["location"] == "/app/"
    return client


async def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_it(gw: Gateway, browser: Browser):
    _, token = await create_account(gw.pool, "acme")
    client = browser()
    assert (await client.get("/app/")).headers["location"] == "/app/signin?next=/app/"
    refused = await sign_in(client, "strata_wrong")
    assert refused.status_code == 401 and "That token is not valid." in refused.text
    answer = await sign_in(client, token)
    cookie = answer.headers["set-cookie"]
    assert "strata_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert token not in cookie
    stored = await gw.pool.fetchval("SELECT count(*) FROM web_sessions WHERE id_hash <> $1", "")
    assert stored == 1
    home = await client.get("/app/")
    assert home.status_code == 200 and "acme" in home.text
    assert (await client.post("/app/signout", data={})).status_code == 403
    out = await client.post("/app/signout", data={"csrf": csrf_of(home.text)})
    assert out.status_code == 303
    assert (await client.get("/app/")).status_code == 303
    assert await gw.pool.fetchval("SELECT count(*) FROM web_sessions") == 0


async def test_a_revoked_token_ends_its_sessions(gw: Gateway, browser: Browser):
    client = await _signed_in(gw, browser)
    await gw.pool.execute("UPDATE api_tokens SET revoked_at = now()")
    assert (await client.get("/app/")).headers["location"].startswith("/app/signin")


async def test_sign_in_form_needs_its_own_token_and_never_redirects_away(
    gw: Gateway, browser: Browser
):
    _, token = await create_account(gw.pool, "acme")
    client = browser()
    forged = await client.post("/app/signin", data={"token": token, "csrf": "x", "next": "/app/"})
    assert forged.status_code == 403 and "strata_session" not in forged.headers.get(
        "set-cookie", ""
    )
    for target in ("//evil.example/", "https://evil.example/app/", "/\\evil.example"):
        fresh = browser()
        form = await fresh.get("/app/signin")
        answer = await fresh.post(
            "/app/signin", data={"token": token, "csrf": csrf_of(form.text), "next": target}
        )
        assert answer.headers["location"] == "/app/"


async def test_pages_carry_security_headers(gw: Gateway, browser: Browser):
    client = await _signed_in(gw, browser)
    for path in ("/app/", "/app/signin", "/app/projects/not-a-uuid", "/app/static/app.css"):
        headers = (await client.get(path)).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
    # The API keeps its own answers (Swagger UI needs its inline script).
    assert "content-security-policy" not in (await client.get("/docs")).headers


async def test_a_post_without_the_form_token_changes_nothing(gw: Gateway, browser: Browser):
    client = await _signed_in(gw, browser)
    csrf = await page_csrf(client)
    refused = await client.post("/app/projects", data={"name": "sneaky"})
    assert refused.status_code == 403 and "reload the page" in refused.text
    foreign = await client.post(
        "/app/projects",
        data={"name": "sneaky", "csrf": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    header = await client.post("/app/projects", data={"name": "ok"}, headers={"X-CSRF-Token": csrf})
    assert header.status_code == 303
    names = [r["name"] for r in await gw.pool.fetch("SELECT name FROM projects")]
    assert names == ["ok"]


async def test_another_accounts_ids_are_404_pages(gw: Gateway, browser: Browser):
    owner = await _signed_in(gw, browser, "owner")
    made = await owner.post("/app/projects", data={"name": "mine", "csrf": await page_csrf(owner)})
    project_path = made.headers["location"]
    assert (await owner.get(project_path)).status_code == 200
    intruder = await _signed_in(gw, browser, "intruder")
    csrf = await page_csrf(intruder)
    unknown = f"/app/projects/{uuid4()}"
    for path in (project_path, unknown, f"{project_path}/documents", f"/app/runs/{uuid4()}"):
        answer = await intruder.get(path)
        assert answer.status_code == 404 and "not found" in answer.text, path
    upload = await intruder.post(
        f"{project_path}/documents", data={"csrf": csrf}, files={"files": ("a.md", b"# x")}
    )
    assert upload.status_code == 404
    assert await gw.pool.fetchval("SELECT count(*) FROM documents") == 0


async def test_names_are_escaped_and_bad_input_is_a_message(gw: Gateway, browser: Browser):
    client = await _signed_in(gw, browser)
    csrf = await page_csrf(client)
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    made = await client.post("/app/projects", data={"name": payload, "csrf": csrf})
    project = made.headers["location"]
    html = (await client.get(project)).text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    bad = await client.post(
        f"{project}/schemas", data={"name": "s", "definition": "{nope", "csrf": csrf}
    )
    assert bad.status_code == 303 and bad.headers["location"] == project
    shown = (await client.get(project)).text
    assert "the definition is not valid JSON" in shown
    assert "not valid JSON" not in (await client.get(project)).text  # shown once
    empty = await client.post("/app/projects", data={"name": "  ", "csrf": csrf})
    assert empty.status_code == 303
    assert "name" in (await client.get("/app/")).text


async def test_upload_schema_and_run_through_the_pages(gw: Gateway, browser: Browser):
    client = await _signed_in(gw, browser)
    csrf = await page_csrf(client)
    project = (await client.post("/app/projects", data={"name": "p", "csrf": csrf})).headers[
        "location"
    ]
    files = [
        ("files", ("a.md", b"# A\n\ntext a", "text/markdown")),
        ("files", ("b.md", b"# B\n\ntext b", "text/markdown")),
    ]
    uploaded = await client.post(f"{project}/documents", data={"csrf": csrf}, files=files)
    assert uploaded.status_code == 303
    page = (await client.get(project)).text
    assert "Uploaded 2 file(s)." in page and "a.md" in page and "b.md" in page
    for row in await gw.pool.fetch("SELECT id FROM documents"):
        await make_ready(gw.pool, row["id"], [0, 1])
    definition = '{"properties": {"title": {"type": ["string", "null"]}}}'
    schema = await client.post(
        f"{project}/schemas", data={"name": "s", "definition": definition, "csrf": csrf}
    )
    schema_id = schema.headers["location"].rsplit("/", 1)[1]
    estimate = await client.post(
        f"{project}/runs", data={"schema_id": schema_id, "action": "estimate", "csrf": csrf}
    )
    assert estimate.status_code == 200 and "Estimated cost" in estimate.text
    started = await client.post(
        f"{project}/runs", data={"schema_id": schema_id, "action": "start", "csrf": csrf}
    )
    run_path = started.headers["location"]
    run_page = await client.get(run_path)
    assert run_page.status_code == 200 and "4 done of" not in run_page.text
    assert re.search(r"0</span> done of 4", run_page.text)
    status = await client.get(f"{run_path}/status")
    assert 'sse-swap="status"' in status.text and "every 2s" not in status.text
    cancelled = await client.post(f"{run_path}/cancel", data={"csrf": csrf})
    assert cancelled.status_code == 303
    assert "cancelled" in (await client.get(run_path)).text


async def test_schema_page_checks_saves_versions_diffs_and_forks(gw: Gateway, browser: Browser):
    client = await _signed_in(gw, browser)
    csrf = await page_csrf(client)
    project = (await client.post("/app/projects", data={"name": "p", "csrf": csrf})).headers[
        "location"
    ]
    v1 = '{"properties": {"title": {"type": ["string", "null"]}}}'
    made = await client.post(
        f"{project}/schemas", data={"name": "s", "definition": v1, "csrf": csrf}
    )
    schema_path = made.headers["location"]
    shown = (await client.get(schema_path)).text
    assert 'id="fields"' in shown and "<code>title</code>" in shown  # read as builder fields
    v2 = '{"properties": {"title": {"type": ["string", "null"]}, "amount": {"type": ["number", "null"]}}}'
    checked = await client.post(f"{schema_path}/check", data={"definition": v2, "csrf": csrf})
    assert checked.status_code == 200 and 'id="check-result"' in checked.text
    assert re.search(r"check-(pass|warn)", checked.text) and "amount" in checked.text
    broken = await client.post(f"{schema_path}/check", data={"definition": "{no", "csrf": csrf})
    assert broken.status_code == 422 and "not valid JSON" in broken.text
    assert await gw.pool.fetchval("SELECT count(*) FROM schemas") == 1  # a check saves nothing
    saved = await client.post(
        f"{schema_path}/versions", data={"definition": v2, "base_version": "1", "csrf": csrf}
    )
    v2_path = saved.headers["location"]
    assert v2_path != schema_path
    stale = await client.post(
        f"{schema_path}/versions",
        data={"definition": v1.replace("title", "name"), "base_version": "1", "csrf": csrf},
    )
    assert stale.status_code == 303
    assert "is at version 2, not 1" in (await client.get(schema_path)).text  # 409 said plainly
    diff = await client.get(f"{v2_path}/diff?from=1&to=2")
    assert diff.status_code == 200 and "Added" in diff.text and "<code>amount</code>" in diff.text
    assert (await client.get(f"{v2_path}/diff?from=1&to=9")).status_code == 404
    assert (await client.get(f"{v2_path}/diff?from=x&to=2")).status_code == 422
    forked = await client.post(f"{v2_path}/fork", data={"name": "<b>copy</b>", "csrf": csrf})
    fork_page = (await client.get(forked.headers["location"])).text
    assert '&lt;b&gt;copy&lt;/b&gt; <span class="muted">v1</span>' in fork_page
    odd = '{"properties": {"code": {"type": "string", "pattern": "^[A-Z]+$"}}}'
    json_only = await client.post(
        f"{project}/schemas", data={"name": "odd", "definition": odd, "csrf": csrf}
    )
    odd_page = (await client.get(json_only.headers["location"])).text
    assert 'id="json-only"' in odd_page and "pattern" in odd_page


async def test_the_run_page_shows_a_run_planning_in_the_background(start_gateway):
    """No worker here, and none planning in-process: the run stays `planning` until it is
    planned, and its page says so; planned as the worker would, it is running."""
    gw = await start_gateway(plan_runs=False)
    _, token = await create_account(gw.pool, "acme")
    auth = {"Authorization": f"Bearer {token}"}
    project = (await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)).json()
    files = {"file": ("a.md", b"# A\n\ntext a", "text/markdown")}
    document = (
        await gw.client.post(f"/v1/projects/{project['id']}/documents", files=files, headers=auth)
    ).json()
    await make_ready(gw.pool, document["id"], [0, 1, 2])
    schema = await gw.client.post(
        f"/v1/projects/{project['id']}/schemas",
        json={"name": "s", "definition": {"properties": {"title": {"type": "string"}}}},
        headers=auth,
    )
    run = (
        await gw.client.post(
            "/v1/runs",
            json={"schema_id": schema.json()["id"], "project_id": project["id"]},
            headers=auth,
        )
    ).json()
    assert (run["status"], run["total_blocks"]) == ("planning", 3)
    assert await gw.pool.fetchval("SELECT count(*) FROM overlays") == 0  # nothing written yet
    client = httpx.AsyncClient(transport=gw.client._transport, base_url="http://gw")
    try:
        assert (await sign_in(client, token)).status_code == 303
        page = (await client.get(f"/app/runs/{run['id']}")).text
        assert 'class="badge status-planning"' in page and 'id="run-planning"' in page
        assert "Cancel run" in page
        await plan_all(gw.pool, gw.broker)
        page = (await client.get(f"/app/runs/{run['id']}")).text
        assert 'class="badge status-running"' in page and 'id="run-planning"' not in page
    finally:
        await client.aclose()
    assert await gw.pool.fetchval("SELECT count(*) FROM overlays WHERE pack_id IS NOT NULL") == 3

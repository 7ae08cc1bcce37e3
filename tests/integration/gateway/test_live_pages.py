"""The pages' live parts over SSE (ASGI, real Postgres): the run's status panel with its todo
list and a project's documents, sent as fragments after each event, authenticated by the page
session, with the API's tenancy."""

import asyncio
import re
from uuid import UUID, uuid4

import httpx
import pytest

from strata.gateway.web.auth import create_account
from tests.integration.gateway.conftest import Browser, Gateway, make_ready
from tests.support.web import page_csrf, sign_in

pytestmark = pytest.mark.integration



async def _signed_in(gw: Gateway, browser: Browser, name: str = "acme") -> httpx.AsyncClient:
    _, token = await create_account(gw.pool, name)
    client = browser()
    assert (await sign_in(client, token)).status_code == 303
    return client


async def _project_with_run(gw: Gateway, client: httpx.AsyncClient) -> tuple[str, str]:
    csrf = await page_csrf(client)
    made = await client.post("/app/projects", data={"name": "p", "csrf": csrf})
    project = made.headers["location"]
    files = [("files", ("a.md", b"# A\n\ntext a", "text/markdown"))]
    await client.post(f"{project}/documents", data={"csrf": csrf}, files=files)
    await make_ready(gw.pool, await gw.pool.fetchval("SELECT id FROM documents"), [0, 1, 2])
    definition = '{"properties": {"title": {"type": ["string", "null"]}}}'
    schema = await client.post(
        f"{project}/schemas", data={"name": "s", "definition": definition, "csrf": csrf}
    )
    schema_id = schema.headers["location"].rsplit("/", 1)[1]
    started = await client.post(
        f"{project}/runs", data={"schema_id": schema_id, "action": "start", "csrf": csrf}
    )
    return project, started.headers["location"]


def _stages(extract: str, done: int) -> list[dict[str, object]]:
    when = "2030-01-01T10:00:00+00:00"
    return [
            {"name": "convert", "status": "completed", "done": 1, "total": 1,
             "started_at": when, "ended_at": when},
            {"name": "extract", "status": extract, "done": done, "total": 3,
             "started_at": when, "ended_at": when if extract == "completed" else None,
             "cost_usd": "0.0125"},
    ]  # fmt: skip


async def _event(gw: Gateway, run_path: str | None, kind: str, project_id: UUID) -> None:
    run_id = None if run_path is None else UUID(run_path.rsplit("/", 1)[1])
    await gw.pool.execute(
        "INSERT INTO events (message_id, account_id, project_id, run_id, type, payload,"
        " caused_at) SELECT $1, account_id, id, $3, $4, '{}', now() FROM projects WHERE id = $2",
        uuid4(),
        project_id,
        run_id,
        kind,
    )


def _messages(body: str, name: str) -> list[str]:
    """The data of each SSE message of one event name."""
    found = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        lines = block.split("\n")
        if f"event: {name}" in lines:
            found.append("\n".join(ln[6:] for ln in lines if ln.startswith("data: ")))
    return found


async def test_the_run_page_follows_its_todo_list_live_until_complete(
    gw: Gateway, browser: Browser
):
    client = await _signed_in(gw, browser)
    project, run_path = await _project_with_run(gw, client)
    project_id = UUID(project.rsplit("/", 1)[1])
    run_id = UUID(run_path.rsplit("/", 1)[1])
    await gw.pool.execute(
        "UPDATE runs SET status = 'running', stages = $2::jsonb WHERE id = $1",
        run_id,
        _stages("in_progress", 1),
    )
    page = (await client.get(run_path)).text
    assert f'sse-connect="/app/runs/{run_id}/live"' in page and 'sse-close="done"' in page
    assert "every 2s" not in page and 'sse-swap="status"' in page
    assert re.search(r'data-stage="extract".*?1 of 3.*?\$0\.0125', page, re.S)

    async def finish() -> None:
        await asyncio.sleep(1.0)
        await gw.pool.execute(
            "UPDATE runs SET stages = $2::jsonb WHERE id = $1", run_id, _stages("in_progress", 2)
        )
        await _event(gw, run_path, "run.progress", project_id)
        await asyncio.sleep(1.0)
        await gw.pool.execute(
            "UPDATE runs SET status = 'complete', completed_at = now(), completed_blocks = 3,"
            " stages = $2::jsonb WHERE id = $1",
            run_id,
            _stages("completed", 3),
        )
        await _event(gw, run_path, "run.completed", project_id)

    worker = asyncio.create_task(finish())
    answer = await asyncio.wait_for(client.get(f"{run_path}/live"), timeout=30)
    await worker
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    status = _messages(answer.text, "status")
    assert len(status) >= 3, answer.text
    assert 'id="run-badge">running' in status[0] and "1 of 3" in status[0]
    assert any("2 of 3" in s for s in status[1:-1])
    assert 'id="run-badge">complete' in status[-1] and "(history)" in status[-1]
    assert _messages(answer.text, "done") == ["done"]
    assert answer.text.rstrip().endswith("data: done")
    finished = (await client.get(run_path)).text
    assert "sse-connect" not in finished and "(history)" in finished
    assert re.search(r'data-stage="extract".*?3 of 3', finished, re.S)


async def test_the_project_page_shows_documents_converting_live(gw: Gateway, browser: Browser):
    client = await _signed_in(gw, browser)
    csrf = await page_csrf(client)
    project = (await client.post("/app/projects", data={"name": "p", "csrf": csrf})).headers[
        "location"
    ]
    project_id = UUID(project.rsplit("/", 1)[1])
    files = [("files", ("<b>x</b>.md", b"# A", "text/markdown"))]
    await client.post(f"{project}/documents", data={"csrf": csrf}, files=files)
    page = (await client.get(project)).text
    assert f'sse-connect="/app/projects/{project_id}/live"' in page and "every 2s" not in page

    async def convert_then_sign_out() -> None:
        await asyncio.sleep(1.0)
        await make_ready(gw.pool, await gw.pool.fetchval("SELECT id FROM documents"), [0])
        await _event(gw, None, "run.progress", project_id)  # not about documents: no fragment
        await _event(gw, None, "document.converted", project_id)
        await asyncio.sleep(1.0)
        await gw.pool.execute("DELETE FROM web_sessions")
        await _event(gw, None, "document.converted", project_id)

    worker = asyncio.create_task(convert_then_sign_out())
    answer = await asyncio.wait_for(client.get(f"{project}/live"), timeout=30)
    await worker
    docs = _messages(answer.text, "documents")
    assert len(docs) == 2, answer.text  # now, then after the conversion; none once signed out
    assert "status-ready" not in docs[0] and "status-ready" in docs[1]
    assert "&lt;b&gt;x&lt;/b&gt;.md" in docs[1] and "<b>x</b>" not in docs[1]
    assert _messages(answer.text, "done") == []


async def test_live_streams_need_a_session_and_obey_tenancy(gw: Gateway, browser: Browser):
    owner = await _signed_in(gw, browser, "owner")
    project, run_path = await _project_with_run(gw, owner)
    anonymous = browser()
    for path in (f"{run_path}/live", f"{project}/live"):
        answer = await anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/app/signin")
    intruder = await _signed_in(gw, browser, "intruder")
    for path in (f"{run_path}/live", f"{project}/live", f"/app/runs/{uuid4()}/live"):
        answer = await intruder.get(path)
        assert answer.status_code == 404 and "not found" in answer.text, path

"""Compare and evaluate pages over ASGI (real Postgres): agreement per field and the differing
blocks of two runs, an evaluation started from a form and scored live, the project's runs list
sent again over SSE, all with the API's tenancy and escaping."""

import asyncio
import re
from uuid import UUID, uuid4

import httpx
import pytest

from strata.gateway.web.auth import create_account
from tests.integration.gateway.conftest import Browser, Gateway, make_ready
from tests.integration.gateway.test_live_pages import _messages
from tests.support.web import page_csrf, sign_in

pytestmark = pytest.mark.integration
DEFINITION = '{"properties": {"title": {"type": ["string", "null"]}, "amount": {"type": ["number", "null"]}}}'


async def _signed_in(gw: Gateway, browser: Browser, name: str) -> httpx.AsyncClient:
    _, token = await create_account(gw.pool, name)
    client = browser()
    assert (await sign_in(client, token)).status_code == 303
    return client


async def _two_runs(gw: Gateway, client: httpx.AsyncClient) -> tuple[str, str, UUID, UUID]:
    """A project whose two runs answered the same three blocks; they differ on block 2."""
    csrf = await page_csrf(client)
    project = (await client.post("/app/projects", data={"name": "p", "csrf": csrf})).headers[
        "location"
    ]
    files = {"files": ("a.md", b"# A\n\ntext", "text/markdown")}
    await client.post(f"{project}/documents", data={"csrf": csrf}, files=files)
    await make_ready(gw.pool, await gw.pool.fetchval("SELECT id FROM documents"), [0, 1, 2])
    made = await client.post(
        f"{project}/schemas", data={"name": "s", "definition": DEFINITION, "csrf": csrf}
    )
    schema_id = made.headers["location"].rsplit("/", 1)[1]
    run_ids = []
    for _ in range(2):
        started = await client.post(
            f"{project}/runs", data={"schema_id": schema_id, "action": "start", "csrf": csrf}
        )
        run_ids.append(UUID(started.headers["location"].rsplit("/", 1)[1]))
    await gw.pool.execute(
        "UPDATE overlays SET status = 'ai_complete', settled_at = now(),"
        " staged = jsonb_build_object('title', 'Invoice ' || block_index, 'amount', 12.5)"
    )
    await gw.pool.execute(
        "UPDATE overlays SET staged = jsonb_build_object('title', '<b>other</b>', 'amount', 12.50)"
        " WHERE run_id = $1 AND block_index = 2",
        run_ids[1],
    )
    await gw.pool.execute("UPDATE runs SET status = 'complete', completed_at = now()")
    return project, csrf, run_ids[0], run_ids[1]


async def test_two_runs_compared_field_by_field(gw: Gateway, browser: Browser):
    client = await _signed_in(gw, browser, "acme")
    project, _, left, right = await _two_runs(gw, client)
    page = await client.get(f"{project}/compare")
    assert page.status_code == 200 and 'id="compare-form"' in page.text
    assert 'id="comparison"' not in page.text
    run_page = (await client.get(f"/app/runs/{right}")).text
    assert f'href="{project}/compare?left={right}"' in run_page
    chosen = (await client.get(f"{project}/compare?left={right}")).text  # from a run's page
    assert 'id="comparison"' not in chosen
    assert re.search(rf'id="cmp-left".*?<option value="{right}" selected', chosen, re.S)
    assert re.search(rf'id="cmp-right".*?<option value="{left}" selected', chosen, re.S)
    compared = await client.get(f"{project}/compare?left={left}&right={right}")
    html = compared.text
    assert compared.status_code == 200 and "3 block(s) compared" in html
    assert '<span data-field="title">66.7%</span>' in html
    assert '<span data-field="amount">100.0%</span>' in html  # 12.5 and 12.50 agree
    assert re.search(r"a\.md, block 2</td><td><code>title</code></td>", html)
    assert "&#34;&lt;b&gt;other&lt;/b&gt;&#34;" in html and "<b>other</b>" not in html
    same = (await client.get(f"{project}/compare?left={left}&right={left}")).text
    assert 'id="no-differences"' in same
    intruder = await _signed_in(gw, browser, "intruder")
    assert (await intruder.get(f"{project}/compare?left={left}&right={right}")).status_code == 404
    own = (await client.get(f"{project}/compare?left={left}&right={uuid4()}")).status_code
    assert own == 404
    assert (await client.get(f"{project}/compare?left=x&right={right}")).status_code == 422


async def test_an_evaluation_started_from_the_page_is_scored_live(gw: Gateway, browser: Browser):
    client = await _signed_in(gw, browser, "acme")
    project, csrf, reviewed, _ = await _two_runs(gw, client)
    schema_id = await gw.pool.fetchval("SELECT id FROM schemas")
    form = {"csrf": csrf, "schema_id": str(schema_id), "reviewed_run_id": str(reviewed)}
    refused = await client.post(f"{project}/evaluations", data=form)
    assert refused.headers["location"] == f"{project}/compare"  # nothing reviewed yet
    assert "no confirmed or edited blocks" in (await client.get(f"{project}/compare")).text
    await gw.pool.execute(
        "UPDATE overlays SET review_status = 'confirmed' WHERE run_id = $1 AND block_index < 2",
        reviewed,
    )
    started = await client.post(f"{project}/evaluations", data=form)
    evaluation_path = started.headers["location"]
    assert evaluation_path.startswith("/app/evaluations/")
    run_id = UUID(evaluation_path.rsplit("/", 1)[1])
    waiting = (await client.get(evaluation_path)).text
    assert f'sse-connect="{evaluation_path}/live"' in waiting and "2 reviewed block(s)" in waiting
    listed = (await client.get(f"{project}/compare")).text
    assert f'href="{evaluation_path}"' in listed

    async def finish() -> None:
        await asyncio.sleep(1.0)
        await gw.pool.execute(
            "UPDATE overlays SET status = 'ai_complete', settled_at = now(),"
            " staged = jsonb_build_object('title', 'Invoice ' || block_index, 'amount', 99)"
            " WHERE run_id = $1",
            run_id,
        )
        await gw.pool.execute(
            "UPDATE runs SET status = 'complete', completed_at = now() WHERE id = $1", run_id
        )
        await gw.pool.execute(
            "INSERT INTO events (message_id, account_id, project_id, run_id, type, payload,"
            " caused_at) SELECT $1, account_id, project_id, id, 'run.completed', '{}', now()"
            " FROM runs WHERE id = $2",
            uuid4(),
            run_id,
        )

    worker = asyncio.create_task(finish())
    answer = await asyncio.wait_for(client.get(f"{evaluation_path}/live"), timeout=30)
    await worker
    reports = _messages(answer.text, "report")
    assert len(reports) >= 2 and 'id="evaluation-status">complete' in reports[-1]
    assert _messages(answer.text, "done") == ["done"]
    done = (await client.get(evaluation_path)).text
    assert "sse-connect" not in done
    assert re.search(r'data-field="title">.*?<td>100\.0%</td>\s*<td>100\.0%</td>', done, re.S)
    assert re.search(r'data-field="amount">.*?<td>0\.0%</td>\s*<td>100\.0%</td>', done, re.S)
    intruder = await _signed_in(gw, browser, "intruder")
    assert (await intruder.get(evaluation_path)).status_code == 404
    assert (await intruder.get(f"{evaluation_path}/live")).status_code == 404
    assert (await client.get(f"/app/evaluations/{reviewed}")).status_code == 404  # not one


async def test_the_project_page_runs_list_is_live(gw: Gateway, browser: Browser):
    client = await _signed_in(gw, browser, "acme")
    project, _, left, _ = await _two_runs(gw, client)
    await gw.pool.execute("UPDATE runs SET status = 'running', completed_at = NULL")
    page = (await client.get(project)).text
    assert f'sse-connect="{project}/runs/live"' in page and 'sse-swap="runs"' in page
    assert 'href="' + project + '/compare"' in page

    async def progress_then_sign_out() -> None:
        await asyncio.sleep(1.0)
        await gw.pool.execute("UPDATE runs SET status = 'complete' WHERE id = $1", left)
        for kind in ("document.converted", "run.completed"):  # a document's event: no fragment
            await gw.pool.execute(
                "INSERT INTO events (message_id, account_id, project_id, run_id, type, payload,"
                " caused_at) SELECT $1, account_id, project_id, id, $3, '{}', now()"
                " FROM runs WHERE id = $2",
                uuid4(),
                left,
                kind,
            )
        await asyncio.sleep(1.0)
        await gw.pool.execute("DELETE FROM web_sessions")
        await gw.pool.execute(
            "INSERT INTO events (message_id, account_id, project_id, run_id, type, payload,"
            " caused_at) SELECT $1, account_id, project_id, id, 'run.progress', '{}', now()"
            " FROM runs WHERE id = $2",
            uuid4(),
            left,
        )

    worker = asyncio.create_task(progress_then_sign_out())
    answer = await asyncio.wait_for(client.get(f"{project}/runs/live"), timeout=30)
    await worker
    fragments = _messages(answer.text, "runs")
    assert len(fragments) == 2, answer.text  # now, then after the run completed
    assert fragments[0].count("status-running") == 2
    assert fragments[1].count("status-running") == 1 and "status-complete" in fragments[1]
    intruder = await _signed_in(gw, browser, "intruder")
    assert (await intruder.get(f"{project}/runs/live")).status_code == 404

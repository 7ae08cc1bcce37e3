"""The review grid over ASGI against real Postgres: rows and columns, flags, inline actions,
a stale revision shown with the other reviewer's values, bulk confirm, and the time the first
page of a 10,000-block run takes."""

import re
import time

import httpx
import pytest

from strata.gateway.web.auth import create_account
from tests.integration.gateway.conftest import Gateway, make_ready
from tests.support.web import page_csrf, sign_in

pytestmark = pytest.mark.integration
DEFINITION = '{"properties": {"title": {"type": ["string", "null"]}, "amount": {"type": ["number", "null"]}}}'
HTMX = {"HX-Request": "true"}


async def _run_with_blocks(gw: Gateway, client: httpx.AsyncClient, blocks: int) -> tuple[str, str]:
    """A run whose overlays all settled with staged values; block 1 carries a flag."""
    csrf = await page_csrf(client)
    project = (await client.post("/app/projects", data={"name": "p", "csrf": csrf})).headers[
        "location"
    ]
    files = {"files": ("a.md", b"# A\n\nInvoice 42 for 12.50", "text/markdown")}
    await client.post(f"{project}/documents", data={"csrf": csrf}, files=files)
    document_id = await gw.pool.fetchval("SELECT id FROM documents")
    await make_ready(gw.pool, document_id, list(range(blocks)))
    schema = await client.post(
        f"{project}/schemas", data={"name": "s", "definition": DEFINITION, "csrf": csrf}
    )
    schema_id = schema.headers["location"].rsplit("/", 1)[1]
    started = await client.post(
        f"{project}/runs", data={"schema_id": schema_id, "action": "start", "csrf": csrf}
    )
    run_path = started.headers["location"]
    await gw.pool.execute(
        "UPDATE overlays SET status = 'ai_complete', settled_at = now(),"
        " staged = jsonb_build_object('title', 'Invoice ' || block_index, 'amount', 12.5),"
        " flags = CASE WHEN block_index = 1 THEN ARRAY['required_null:title'] ELSE '{}' END"
    )
    return run_path, csrf


async def _signed_in(gw: Gateway, name: str) -> httpx.AsyncClient:
    _, token = await create_account(gw.pool, name)
    client = httpx.AsyncClient(transport=gw.client._transport, base_url="http://gw")
    assert (await sign_in(client, token)).status_code == 303
    return client


def _row_revision(html: str, block_index: int) -> tuple[str, str]:
    match = re.search(
        rf'action="(/app/runs/[^"]+/review/[^"]+/{block_index})".*?name="revision" value="(\d+)"',
        html,
        re.S,
    )
    assert match, f"no row for block {block_index}"
    return match.group(1), match.group(2)


async def test_review_grid_actions_conflicts_and_bulk(gw: Gateway):
    client = await _signed_in(gw, "reviewer")
    try:
        run_path, csrf = await _run_with_blocks(gw, client, 5)
        grid = await client.get(f"{run_path}/review")
        assert grid.status_code == 200
        html = grid.text
        assert '<th scope="col">title</th>' in html and '<th scope="col">amount</th>' in html
        assert "required_null:title" in html and "Invoice 3" in html
        assert html.index("required_null:title") < html.index("Invoice 0")  # flagged first
        flagged_only = (await client.get(f"{run_path}/review?flagged=true")).text
        assert "Invoice 1" in flagged_only and "Invoice 0" not in flagged_only

        url, revision = _row_revision(html, 0)
        base = {"csrf": csrf, "revision": revision}
        confirmed = await client.post(url, data={**base, "action": "confirm"}, headers=HTMX)
        assert confirmed.status_code == 200 and "status-confirmed" in confirmed.text
        # The same revision again: the block moved on; the row says so with the values now.
        stale = await client.post(url, data={**base, "action": "reject"}, headers=HTMX)
        assert "Someone else acted on this block first." in stale.text
        assert "Invoice 0" in stale.text and "now confirmed" in stale.text

        url, revision = _row_revision(html, 2)
        bad = {"csrf": csrf, "revision": revision, "action": "edit"}
        invalid = await client.post(
            url, data={**bad, "value.title": "x", "value.amount": "lots"}, headers=HTMX
        )
        assert 'aria-invalid="true"' in invalid.text and "amount" in invalid.text
        edited = await client.post(
            url, data={**bad, "value.title": "Fixed", "value.amount": "99"}, headers=HTMX
        )
        assert "status-edited" in edited.text and "Fixed" in edited.text
        # Without script: post, then back to the grid.
        url, revision = _row_revision(html, 3)
        rejected = await client.post(
            url, data={"csrf": csrf, "revision": revision, "action": "reject", "back": "/app/x"}
        )
        assert rejected.status_code == 303

        bulk = await client.post(f"{run_path}/review?action=confirm", data={"csrf": csrf})
        assert bulk.status_code == 303
        message = (await client.get(f"{run_path}/review")).text
        assert "Confirmed 1 block(s); 1 flagged block(s) left for you." in message
        # A rejected row reads as rejected: its model values struck through, not in bold.
        grid = (await client.get(f"{run_path}/review?status=any")).text
        rejected_row = grid.split('id="row-')[4]
        assert "status-rejected" in rejected_row
        assert (
            '<del class="rejected-value"' in rejected_row and 'class="settled"' not in rejected_row
        )
        states = dict(await gw.pool.fetch("SELECT block_index, review_status FROM overlays"))
        assert states == {
            0: "confirmed",
            1: "unreviewed",
            2: "edited",
            3: "rejected",
            4: "confirmed",
        }
        value = await gw.pool.fetchval("SELECT confirmed FROM overlays WHERE block_index = 2")
        assert value == {"title": "Fixed", "amount": 99}
        # Another account sees none of it.
        other = await _signed_in(gw, "other")
        assert (await other.get(f"{run_path}/review")).status_code == 404
        other_csrf = await page_csrf(other)
        url, revision = _row_revision(message, 1)
        refused = await other.post(
            url, data={"csrf": other_csrf, "revision": revision, "action": "confirm"}
        )
        assert refused.status_code == 404
        await other.aclose()
    finally:
        await client.aclose()


async def test_first_page_of_a_10000_block_run(gw: Gateway, capsys: pytest.CaptureFixture[str]):
    client = await _signed_in(gw, "big")
    try:
        run_path, _ = await _run_with_blocks(gw, client, 10_000)
        assert await gw.pool.fetchval("SELECT count(*) FROM overlays") == 10_000
        await gw.pool.execute("ANALYZE overlays")
        await client.get(f"{run_path}/review")  # warm: templates compiled, statements prepared
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            answer = await client.get(f"{run_path}/review")
            timings.append(time.perf_counter() - started)
            assert answer.status_code == 200 and answer.text.count("data-row") == 50
        second = await client.get(f"{run_path}/review?cursor=" + _next(answer.text))
        assert second.status_code == 200 and second.text.count("data-row") == 50
        median = sorted(timings)[len(timings) // 2]
        with capsys.disabled():
            print(
                f"\nreview grid, first page of a 10,000-block run: median {median * 1000:.0f} ms,"
                f" best {min(timings) * 1000:.0f} ms, worst {max(timings) * 1000:.0f} ms"
            )
        # Generous for a shared CI machine; on an idle one it is tens of milliseconds.
        assert median < 0.5
    finally:
        await client.aclose()


def _next(html: str) -> str:
    match = re.search(r'cursor=([^"&]+)">Next page', html)
    assert match, "no next page link"
    return match.group(1)

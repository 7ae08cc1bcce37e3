"""The template gallery pages over ASGI against real Postgres and RabbitMQ: cards by category,
a form generated from typed parameters with the API's per-parameter messages, preview (a small
real run, answered when the wait runs out here: no worker), start with a budget."""

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from uuid import UUID

import httpx
import pytest

from strata.gateway.domain.template_seed import seed_builtin
from strata.gateway.web.auth import create_account
from tests.integration.gateway.conftest import Gateway, StartGateway, make_ready
from tests.support.web import page_csrf, sign_in

pytestmark = pytest.mark.integration


@pytest.fixture
async def gw(start_gateway: StartGateway) -> Gateway:
    gateway = await start_gateway(preview_wait_s=0.2)
    await seed_builtin(gateway.pool, update=False)
    return gateway


@pytest.fixture
async def person(gw: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    _, token = await create_account(gw.pool, "acme")
    client = httpx.AsyncClient(
        transport=gw.client._transport, base_url="http://gw", follow_redirects=False
    )
    assert (await sign_in(client, token)).status_code == 303
    yield client
    await client.aclose()


async def _project_with_documents(gw: Gateway, client: httpx.AsyncClient) -> tuple[str, str]:
    csrf = await page_csrf(client)
    project = (await client.post("/app/projects", data={"name": "p", "csrf": csrf})).headers[
        "location"
    ]
    files = [
        ("files", ("a.md", b"# A\n\ntext a", "text/markdown")),
        ("files", ("b.md", b"# B\n\ntext b", "text/markdown")),
    ]
    await client.post(f"{project}/documents", data={"csrf": csrf}, files=files)
    for row in await gw.pool.fetch("SELECT id FROM documents"):
        await make_ready(gw.pool, row["id"], [0, 1, 2])
    return project, csrf


async def test_gallery_shows_cards_by_category_with_example_output(gw: Gateway, person):
    project, _ = await _project_with_documents(gw, person)
    gallery = await person.get(f"{project}/templates")
    assert gallery.status_code == 200
    categories = re.findall(r'<h2 id="cat-\d+" class="category">([^<]+)</h2>', gallery.text)
    assert categories == sorted(categories) and "Finance" in categories
    assert gallery.text.count('class="card template-card"') == 8
    assert "Example of the output" in gallery.text and "monthly_rent" in gallery.text
    assert f'href="{project}/templates/invoice-lines"' in gallery.text


async def test_configure_form_follows_the_parameters_and_shows_the_apis_messages(
    gw: Gateway, person
):
    project, csrf = await _project_with_documents(gw, person)
    form = await person.get(f"{project}/templates/product-specs")
    assert form.status_code == 200
    assert 'name="p.units"' in form.text and "<textarea" in form.text  # multitext
    assert 'name="p.plausible.min"' in form.text and 'name="p.plausible.max"' in form.text
    assert 'name="p.product"' in form.text and 'value="the product"' in form.text  # default
    assert "check: pass" in form.text or "check: warn" in form.text  # fields it makes
    bad = await person.post(
        f"{project}/templates/product-specs",
        data={
            "csrf": csrf,
            "action": "check",
            "p.units": "kg\nKG",
            "p.plausible.min": "10",
            "p.plausible.max": "5",
            "p.product": "<script>alert(1)</script>",
        },
    )
    assert bad.status_code == 422
    assert 'id="p-units-err">items must be distinct' in bad.text
    assert 'id="p-plausible-err">min must not be above max' in bad.text
    assert "<script>alert(1)" not in bad.text and "&lt;script&gt;alert(1)" in bad.text
    # Nothing was saved by a refused form.
    assert await gw.pool.fetchval("SELECT count(*) FROM schemas") == 0
    required = await person.post(
        f"{project}/templates/key-facts", data={"csrf": csrf, "action": "check", "p.facts": ""}
    )
    assert required.status_code == 422 and 'id="p-facts-err">required' in required.text
    number = await person.post(
        f"{project}/templates/invoice-lines",
        data={"csrf": csrf, "action": "check", "p.categories": "a", "p.max_description": "lots"},
    )
    assert number.status_code == 422
    assert 'id="p-max_description-err">must be a number' in number.text


async def test_preview_saves_the_schema_runs_a_sample_and_estimates_the_project(
    gw: Gateway, person
):
    project, csrf = await _project_with_documents(gw, person)
    document_id = await gw.pool.fetchval("SELECT id FROM documents")
    data = {
        "csrf": csrf,
        "action": "preview",
        "name": "facts",
        "p.facts": "Landlord\nTenant",
        "p.document_kind": "a lease",
        "document_id": str(document_id),
        "first_blocks": "2",
    }
    shown = await person.post(f"{project}/templates/key-facts", data=data)
    assert shown.status_code == 200, shown.text
    assert "Preview: facts" in shown.text and "v1" in shown.text
    assert '<th scope="col">landlord</th>' in shown.text
    assert "The whole project</dt><dd>6 blocks" in shown.text
    runs = await gw.pool.fetch("SELECT kind, total_blocks FROM runs")
    assert [(r["kind"], r["total_blocks"]) for r in runs] == [("preview", 2)]
    # Previewing again with other settings is the schema's next version, not a clash.
    again = await person.post(f"{project}/templates/key-facts", data={**data, "p.facts": "Rent"})
    assert again.status_code == 200 and "v2" in again.text
    assert '<th scope="col">rent</th>' in again.text
    schema_id = re.search(r'name="schema_id" value="([^"]+)"', again.text)
    assert schema_id
    started = await person.post(
        f"{project}/runs",
        data={"csrf": csrf, "schema_id": schema_id.group(1), "action": "start", "budget_usd": "2"},
    )
    assert started.status_code == 303 and started.headers["location"].startswith("/app/runs/")
    run = await gw.pool.fetchrow("SELECT policy, total_blocks FROM runs WHERE kind = 'standard'")
    assert run["total_blocks"] == 6
    # A document of another account is a 404 page, and nothing is saved for it.
    other = await person.post(
        f"{project}/templates/key-facts",
        data={**data, "document_id": "00000000-0000-0000-0000-000000000000", "name": "x"},
    )
    assert other.status_code == 404
    assert await gw.pool.fetchval("SELECT count(*) FROM schemas WHERE name = 'x'") == 0


async def test_start_from_configure_on_chosen_documents_with_a_budget(gw: Gateway, person):
    project, csrf = await _project_with_documents(gw, person)
    document_id = await gw.pool.fetchval("SELECT id FROM documents WHERE filename = 'b.md'")
    started = await person.post(
        f"{project}/templates/invoice-lines",
        data={
            "csrf": csrf,
            "action": "start",
            "p.currency": "USD",
            "p.categories": "hardware\nservices",
            "document_ids": str(document_id),
            "budget_usd": "1.5",
        },
    )
    assert started.status_code == 303, started.text
    run_id = UUID(started.headers["location"].rsplit("/", 1)[1])
    chosen = await gw.pool.fetch("SELECT document_id FROM run_documents WHERE run_id = $1", run_id)
    assert [r["document_id"] for r in chosen] == [document_id]
    budget = await gw.pool.fetchval("SELECT budget_usd FROM run_budgets WHERE run_id = $1", run_id)
    assert budget == Decimal("1.5")
    assert (await person.get(f"/app/runs/{run_id}")).status_code == 200
    bad_budget = await person.post(
        f"{project}/templates/invoice-lines",
        data={"csrf": csrf, "action": "start", "p.categories": "a", "budget_usd": "lots"},
    )
    assert bad_budget.status_code == 422 and "budget" in bad_budget.text
    assert await gw.pool.fetchval("SELECT count(*) FROM runs") == 1

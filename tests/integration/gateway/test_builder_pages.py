"""The schema builder's fields editor over ASGI (real Postgres): structural edits redraw the
form, Save posts a new version through the API's rules, refusals sit beside their inputs, a
stale base is the API's 409 said plainly with the draft kept, and the editor obeys tenancy and
the form token."""

import re

import httpx
import pytest

from strata.gateway.web.auth import create_account
from tests.integration.gateway.conftest import Browser, Gateway
from tests.support.web import page_csrf, sign_in

pytestmark = pytest.mark.integration
V1 = '{"properties": {"title": {"type": ["string", "null"], "description": "the subject"}}}'


async def _schema(gw: Gateway, browser: Browser, name: str = "acme") -> tuple[httpx.AsyncClient, str, str]:
    _, token = await create_account(gw.pool, name)
    client = browser()
    assert (await sign_in(client, token)).status_code == 303
    csrf = await page_csrf(client)
    project = (await client.post("/app/projects", data={"name": "p", "csrf": csrf})).headers[
        "location"
    ]
    made = await client.post(f"{project}/schemas", data={"name": "s", "definition": V1, "csrf": csrf})
    return client, made.headers["location"], csrf


def _form(csrf: str, op: str, **extra: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "op": op,
        "base_version": "1",
        "f.0.name": "title",
        "f.0.type": "text",
        "f.0.nullable": "on",
        "f.0.required": "on",
        "f.0.description": "the subject",
        **extra,
    }


async def test_edits_redraw_the_form_and_save_makes_a_version(gw: Gateway, browser: Browser):
    client, schema_path, csrf = await _schema(gw, browser)
    shown = (await client.get(schema_path)).text
    assert 'name="f.0.name" value="title"' in shown and "Save the fields as version 2" in shown
    added = await client.post(f"{schema_path}/builder", data=_form(csrf, "add"))
    assert added.status_code == 200
    assert re.search(r'name="f\.1\.name" value=""[^>]*autofocus', added.text)
    grouped = await client.post(
        f"{schema_path}/builder",
        data=_form(csrf, "add:1", **{"f.1.name": "party", "f.1.type": "group"}),
        headers={"HX-Request": "true"},  # htmx swaps the editor out of the same page
    )
    assert 'id="builder"' in grouped.text and 'name="f.1.0.name"' in grouped.text
    assert "Add a sub-field to party" in grouped.text
    moved = await client.post(
        f"{schema_path}/builder",
        data=_form(csrf, "up:1", **{"f.1.name": "party", "f.1.type": "group"}),
    )
    assert moved.text.index('name="f.0.name" value="party"') < moved.text.index('value="title"')
    fields = {
        "f.0.name": "party",
        "f.0.type": "group",
        "f.0.0.name": "country",
        "f.0.0.type": "choice",
        "f.0.0.options": "FR\nDE",
        "f.1.name": "title",
        "f.1.type": "text",
        "f.1.description": "<script>alert(1)</script>",
    }
    saved = await client.post(
        f"{schema_path}/builder", data={"csrf": csrf, "op": "save", "base_version": "1", **fields}
    )
    assert saved.status_code == 303
    v2 = (await client.get(saved.headers["location"])).text
    assert "Saved as version 2." in v2 and '<span class="muted">v2</span>' in v2
    assert "<script>alert(1)" not in v2 and "&lt;script&gt;alert(1)&lt;/script&gt;" in v2
    row = await gw.pool.fetchrow("SELECT definition FROM schemas WHERE version = 2")
    assert row["definition"]["x-order"] == ["party", "title"]
    party = row["definition"]["properties"]["party"]
    assert party["properties"]["country"]["enum"] == ["FR", "DE"]
    assert party["required"] == [] and row["definition"]["required"] == []
    again = await client.post(
        f"{schema_path}/builder", data={"csrf": csrf, "op": "save", "base_version": "2", **fields}
    )
    assert "Nothing changed: version 2" in (await client.get(again.headers["location"])).text
    assert await gw.pool.fetchval("SELECT count(*) FROM schemas") == 2


async def test_refusals_sit_beside_their_inputs_and_a_stale_base_is_a_plain_409(
    gw: Gateway, browser: Browser
):
    client, schema_path, csrf = await _schema(gw, browser)
    bad = await client.post(
        f"{schema_path}/builder",
        data=_form(
            csrf, "save", **{"f.0.name": "9 lives", "f.1.name": "kind", "f.1.type": "choice"}
        ),
    )
    assert bad.status_code == 422 and "Not saved" in bad.text
    assert re.search(r'id="f-0-name"[^>]*aria-invalid="true" aria-describedby="f-0-name-err"', bad.text)
    assert re.search(r'id="f-0-name-err">String should match pattern', bad.text)
    assert 'id="f-1-options-err"' in bad.text and 'value="9 lives"' in bad.text  # kept as typed
    checked = await client.post(f"{schema_path}/builder", data=_form(csrf, "check"))
    assert checked.status_code == 200 and re.search(r'id="builder-check".*check-(pass|warn)', checked.text, re.S)
    assert await gw.pool.fetchval("SELECT count(*) FROM schemas") == 1
    first = await client.post(f"{schema_path}/builder", data=_form(csrf, "save", **{"f.0.name": "heading"}))
    assert first.status_code == 303
    stale = await client.post(f"{schema_path}/builder", data=_form(csrf, "save", **{"f.0.name": "subject"}))
    assert stale.status_code == 409 and 'id="builder-conflict"' in stale.text
    assert "someone saved this schema first" in stale.text and "is at version 2, not 1" in stale.text
    assert 'value="subject"' in stale.text  # the unsaved draft is still there
    latest = await gw.pool.fetchval("SELECT id FROM schemas WHERE version = 2")
    assert f'href="/app/schemas/{latest}">Open version 2' in stale.text
    assert await gw.pool.fetchval("SELECT count(*) FROM schemas") == 2


async def test_the_editor_obeys_tenancy_and_the_form_token(gw: Gateway, browser: Browser):
    _, schema_path, csrf = await _schema(gw, browser, "owner")
    intruder, _, intruder_csrf = await _schema(gw, browser, "intruder")
    answer = await intruder.post(f"{schema_path}/builder", data=_form(intruder_csrf, "save"))
    assert answer.status_code == 404
    redraw = await intruder.post(f"{schema_path}/builder", data=_form(intruder_csrf, "add"))
    assert redraw.status_code == 404
    owner = browser()  # no session: to the sign-in page, nothing saved
    assert (await owner.post(f"{schema_path}/builder", data=_form(csrf, "save"))).status_code == 303
    assert await gw.pool.fetchval("SELECT count(*) FROM schemas WHERE version > 1") == 0
    forged = await intruder.post(f"{schema_path}/builder", data=_form("nope", "save"))
    assert forged.status_code == 403


async def test_a_new_schema_made_with_the_builder(gw: Gateway, browser: Browser):
    client, _, csrf = await _schema(gw, browser)
    project = "/app/projects/" + str(await gw.pool.fetchval("SELECT id FROM projects"))
    assert f'href="{project}/schemas/new"' in (await client.get(project)).text
    blank = await client.get(f"{project}/schemas/new")
    assert blank.status_code == 200 and 'id="schema-name"' in blank.text
    assert 'name="f.0.name" value=""' in blank.text and "Save the new schema" in blank.text
    fields = {"f.0.name": "total", "f.0.type": "number", "f.0.nullable": "on"}
    added = await client.post(
        f"{project}/schemas/new", data={"csrf": csrf, "op": "add", "name": "sums", **fields}
    )
    assert added.status_code == 200 and 'name="f.1.name"' in added.text
    assert 'id="schema-name" name="name" value="sums"' in added.text
    unnamed = await client.post(
        f"{project}/schemas/new", data={"csrf": csrf, "op": "save", "name": " ", **fields}
    )
    assert unnamed.status_code == 422 and 'id="schema-name-err"' in unnamed.text
    saved = await client.post(
        f"{project}/schemas/new", data={"csrf": csrf, "op": "save", "name": "sums", **fields}
    )
    assert saved.status_code == 303
    made = (await client.get(saved.headers["location"])).text
    assert "Saved as version 1." in made and 'name="f.0.name" value="total"' in made
    taken = await client.post(
        f"{project}/schemas/new", data={"csrf": csrf, "op": "save", "name": "s", **fields}
    )
    assert taken.status_code == 409 and "schema &#39;s&#39; exists" in taken.text
    assert 'id="builder-conflict"' not in taken.text and 'value="total"' in taken.text
    intruder, _, intruder_csrf = await _schema(gw, browser, "intruder")
    assert (await intruder.get(f"{project}/schemas/new")).status_code == 404
    forged = await intruder.post(
        f"{project}/schemas/new", data={"csrf": intruder_csrf, "op": "save", "name": "x", **fields}
    )
    assert forged.status_code == 404
    assert await gw.pool.fetchval("SELECT count(*) FROM schemas WHERE name = 'x'") == 0


async def test_a_wide_schema_fits_in_one_form(gw: Gateway, browser: Browser):
    client, schema_path, csrf = await _schema(gw, browser)
    wide = {"csrf": csrf, "op": "save", "base_version": "1"}
    for i in range(150):  # ~1,500 inputs: over Starlette's default of 1,000 form fields
        wide |= {f"f.{i}.{k}": v for k, v in (("name", f"f{i}"), ("type", "choice"))}
        wide |= {f"f.{i}.options": "a\nb", f"f.{i}.label": f"Field {i}", f"f.{i}.required": "on"}
        wide |= {f"f.{i}.description": "d", f"f.{i}.instructions": "", f"f.{i}.nullable": "on"}
        wide |= {f"f.{i}.max_length": "", f"f.{i}.keywords": ""}
    assert len(wide) > 1000
    saved = await client.post(f"{schema_path}/builder", data=wide)
    assert saved.status_code == 303, saved.text[:2000]
    shown = (await client.get(saved.headers["location"])).text
    assert 'name="f.149.name" value="f149"' in shown

"""The schema builder and compare / evaluate in a real browser (Debian's Chromium via Playwright)
over every real service: add a field, make it a group with a sub-field, reorder by keyboard,
see the API's message beside a bad name, save a new version, see a stale save's 409 said plainly;
the same editor without script; then two runs compared field by field and a version evaluated
against a reviewed run, its scores arriving without a reload."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import Watched, chromium, sign_in, watch
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e
PAYLOAD = '<script>alert("x")</script><img src=x onerror="alert(1)">'
SCHEMA = '{"properties": {"title": {"type": ["string", "null"], "description": "the subject"}}}'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _project_with_schema(watched: Watched, name: str) -> str:
    page = watched.page
    page.get_by_label("New project").fill(name)
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    project_url = page.url
    page.get_by_label("Name", exact=True).fill("invoice")
    page.get_by_label("JSON Schema").fill(SCHEMA)
    page.get_by_role("button", name="Save schema").click()
    expect(page.get_by_role("heading", name=re.compile("^invoice"))).to_be_visible()
    return project_url


def _legends(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#fields > li > fieldset > legend").all_inner_texts()]


def test_builder_edits_saves_and_shows_a_stale_save_plainly(stack: Stack, browser: Browser) -> None:
    watched = watch(browser, "builder")
    page = watched.page
    sign_in(watched, stack.gateway_url, stack.create_account("web-builder"))
    _project_with_schema(watched, "Builder")
    v1_url = page.url
    expect(page.get_by_label("Name", exact=True)).to_have_value("title")
    page.wait_for_load_state("load")  # htmx is in: the edits below swap only the editor

    page.get_by_role("button", name="Add a field").click()  # htmx: only the editor is swapped
    name = page.locator("#f-1-name")
    expect(name).to_be_focused()  # the keyboard lands on the new field
    name.fill("party")
    page.locator("#f-1-type").select_option("group")  # the sub-fields part appears, no reload
    page.get_by_role("button", name="Add a sub-field to party").click()
    expect(page.locator("#f-1-0-name")).to_be_focused()
    page.keyboard.type("country")
    page.locator("#f-1-0-type").select_option("choice")
    page.get_by_label("Options").fill("FR\nDE")
    page.locator("#f-1-description").fill(PAYLOAD)  # text, never markup
    page.get_by_role("button", name="Move party up").focus()
    page.keyboard.press("Enter")  # reorder by keyboard; focus stays on the moved field
    expect(page.get_by_role("button", name="Move party down")).to_be_focused()
    assert _legends(page) == ["Field party", "Field title"]
    page.locator("#f-1-name").fill("9 lives")
    page.get_by_role("button", name=re.compile("^Save the fields")).click()
    error = page.locator("#f-1-name-err")  # the API's own message, beside its input
    expect(error).to_contain_text("String should match pattern")
    expect(page.locator("#f-1-name")).to_have_attribute("aria-invalid", "true")
    watched.shot("builder-refused")
    page.locator("#f-1-name").fill("title")
    page.get_by_role("button", name=re.compile("^Save the fields")).click()
    expect(page.get_by_role("status")).to_have_text("Saved as version 2.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("v2")
    assert _legends(page) == ["Field party", "Field title"]
    expect(page.locator("#f-0-0-name")).to_have_value("country")
    expect(page.locator("#f-0-0-options")).to_have_value("FR\nDE")
    expect(page.locator("#f-0-description")).to_have_value(PAYLOAD)
    assert page.locator("img[src=x]").count() == 0
    watched.shot("builder")

    page.goto(v1_url)  # an edit started from version 1 while version 2 exists
    page.locator("#f-0-description").fill("changed meanwhile")
    page.get_by_role("button", name=re.compile("^Save the fields")).click()
    conflict = page.locator("#builder-conflict")
    expect(conflict).to_contain_text("someone saved this schema first")
    expect(conflict).to_contain_text("is at version 2, not 1")
    expect(page.locator("#f-0-description")).to_have_value("changed meanwhile")  # kept
    watched.shot("builder-conflict")
    elsewhere = page.context.new_page()  # signed out in another tab, then an edit here
    elsewhere.goto(v1_url)
    elsewhere.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Add a field").click()
    expect(page.get_by_label("API token")).to_be_visible()  # the sign-in page, not a blank editor
    # The refused saves are answered 422 and 409 on purpose (Chromium logs any 4xx page load).
    unexpected = [e for e in watched.errors if not re.search(r"status of (422|409)", e)]
    assert watched.dialogs == [] and unexpected == []
    page.context.close()


def test_a_new_schema_made_with_the_builder_without_script(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
    watched = Watched(context.new_page(), "builder-noscript")
    page = watched.page
    sign_in(watched, stack.gateway_url, stack.create_account("web-builder-noscript"))
    page.get_by_label("New project").fill("Plain")
    page.get_by_role("button", name="Create project").click()
    page.get_by_role("link", name="New schema with the builder").click()
    expect(page.get_by_label("Schema name")).to_be_focused()
    page.keyboard.type("kinds")
    page.locator("#f-0-name").fill("kind")
    page.locator("#f-0-type").select_option("choice")
    page.get_by_role("button", name="Show this type's settings").click()  # a plain form post
    page.get_by_label("Options").fill("invoice\nreceipt")
    page.get_by_role("button", name="Add a field").click()
    expect(page.locator("#f-1-name")).to_be_focused()
    page.keyboard.type("total")
    page.locator("#f-1-type").select_option("number")
    page.get_by_role("button", name="Save the new schema").click()
    expect(page.get_by_role("status")).to_have_text("Saved as version 1.")
    expect(page.get_by_role("heading", level=1)).to_have_text("kinds v1")
    expect(page.locator("#f-0-options")).to_have_value("invoice\nreceipt")
    expect(page.locator("#f-1-type")).to_have_value("number")
    watched.shot("builder-noscript")
    context.close()


def test_two_runs_compared_and_a_version_evaluated(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    watched = watch(browser, "compare")
    page = watched.page
    sign_in(watched, stack.gateway_url, stack.create_account("web-compare"))
    project_url = _project_with_schema(watched, "Compare")
    page.goto(project_url)
    doc = tmp_path / "note.md"
    doc.write_text("# Note\n\nInvoice 7 from Westwind.\n\nInvoice 8 from Eastwind.")
    page.get_by_label("Add documents").set_input_files(str(doc))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#documents .status-ready")).to_have_count(1, timeout=60_000)
    page.get_by_role("button", name="Start run").click()  # version 1
    expect(page.locator("#run-badge")).to_have_text("complete", timeout=90_000)
    page.get_by_role("link", name="Review the results").click()
    # The reviewed block the evaluation scores against.
    page.get_by_role("button", name="Confirm block 0").click()
    expect(page.locator("tr[data-row]").first).to_contain_text("confirmed", timeout=30_000)
    reviewed_run = re.sub(r".*/runs/([^/]+)/review.*", r"\1", page.url)

    page.goto(project_url)
    page.get_by_role("link", name="invoice", exact=True).click()  # version 2 adds a field, as JSON
    page.get_by_label("JSON Schema").fill(SCHEMA.replace("}}}", '}, "amount": {"type": ["number", "null"]}}}'))
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("v2")
    page.goto(project_url)
    page.get_by_role("button", name="Start run").click()  # the latest: version 2
    expect(page.locator("#run-badge")).to_have_text("complete", timeout=90_000)

    page.goto(project_url)
    runs = page.locator("#runs tr[data-run]")  # the list the runs stream keeps current
    expect(runs).to_have_count(2)
    expect(runs.locator(".status-complete")).to_have_count(2)
    page.get_by_role("link", name="Compare runs or evaluate a schema version").click()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#comparison")).to_contain_text("3 block(s) compared")
    expect(page.locator('#agreement [data-field="title"]')).to_have_text("100.0%")
    expect(page.locator('#agreement [data-field="amount"]')).to_have_text(re.compile(r"%$"))
    watched.shot("compare")

    page.locator("#eval-run").select_option(reviewed_run)
    page.get_by_role("button", name="Evaluate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluation of invoice v2")
    expect(page.locator("#evaluation-status")).to_have_text("complete", timeout=90_000)  # SSE
    expect(page.locator("#overall-new")).to_have_text(re.compile(r"%$"))
    expect(page.locator('#field-scores [data-field="title"]')).to_be_visible()
    watched.shot("evaluation")
    assert watched.dialogs == [] and watched.errors == []
    page.context.close()

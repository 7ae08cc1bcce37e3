"""The web app's safety in a real browser: hostile names and text render as text (nothing runs),
a POST without the form token is refused, another account's pages are 404 pages."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import chromium, sign_in, watch
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e
PAYLOAD = '<script>alert("x")</script><img src=x onerror="alert(1)">'
SCHEMA = '{"properties": {"summary": {"type": ["string", "null"]}}}'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_hostile_input_is_text_csrf_is_refused_and_tenancy_holds(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    watched = watch(browser, "safety", width=390)  # a phone-sized screen too
    page = watched.page
    sign_in(watched, stack.gateway_url, stack.create_account("web-safety"))
    page.get_by_label("New project").fill(PAYLOAD)
    page.get_by_role("button", name="Create project").click()
    project_url = page.url
    hostile = tmp_path / '"><img src=x onerror=alert(2)>.txt'  # plain text keeps the tags
    hostile.write_text(f"{PAYLOAD} and more <svg onload=alert(3)>.")
    page.get_by_label("Add documents").set_input_files(str(hostile))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#documents .status-ready")).to_have_count(1, timeout=60_000)
    # Browsers send `"` in a multipart file name as %22 (the HTML standard); the rest is as named.
    expect(page.locator("#documents .filename")).to_have_text(hostile.name.replace('"', "%22"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PAYLOAD)
    watched.shot("hostile-project")

    page.get_by_label("Name", exact=True).fill(PAYLOAD)
    page.get_by_label("JSON Schema").fill(SCHEMA)
    page.get_by_role("button", name="Save schema").click()
    page.goto(project_url)
    page.get_by_role("button", name="Start run").click()
    expect(page.locator("#run-badge")).to_have_text("complete", timeout=90_000)
    page.get_by_role("link", name="Review the results").click()
    row = page.locator("tr[data-row]")
    expect(row).to_have_count(1)
    expect(row.locator(".text")).to_contain_text(PAYLOAD)
    watched.shot("hostile-review")
    assert page.locator("img[src=x], svg").count() == 0  # no markup came from the data
    assert watched.dialogs == [] and watched.errors == []

    # A state-changing request without the form token: refused, nothing made.
    refused = page.evaluate(
        """async () => {
            const body = new URLSearchParams({name: "forged"});
            const answer = await fetch("/app/projects", {method: "POST", body});
            return answer.status;
        }"""
    )
    assert refused == 403

    other = watch(browser, "tenancy")
    sign_in(other, stack.gateway_url, stack.create_account("web-intruder"))
    for url in (project_url, re.sub(r"/review.*", "", page.url)):
        answer = other.page.goto(url)
        assert answer is not None and answer.status == 404
        expect(other.page.get_by_role("heading", name="Not found")).to_be_visible()
    other.shot("foreign-project")
    page.goto(f"{stack.gateway_url}/app/")
    expect(page.get_by_text("forged")).to_have_count(0)
    assert other.dialogs == []
    page.context.close()
    other.page.context.close()

"""Driving the web app's pages without a browser: sign in like a form does, read form tokens."""

import re

import httpx

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no form token on the page"
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, token: str) -> httpx.Response:
    form = await client.get("/app/signin")
    assert form.status_code == 200, form.text
    return await client.post(
        "/app/signin", data={"token": token, "csrf": csrf_of(form.text), "next": "/app/"}
    )


async def page_csrf(client: httpx.AsyncClient, path: str = "/app/") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)

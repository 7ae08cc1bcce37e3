"""Templates: Jinja2 with autoescape on for every template, so whatever a user or a document
supplies (file names, block text, values, schema names) is text, never markup."""

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from strata.gateway.pages.session import PageSession, take_flash
from strata.gateway.web.deps import Resources

HERE = Path(__file__).parent
env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every template, whatever its file name
    undefined=StrictUndefined,  # a misspelt variable fails the test, not the page silently
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def _usd(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"${Decimal(value):,.4f}"


def _size(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _value(value: Any) -> str:
    """A value as JSON text for people (not `tojson`, whose \\u003c is for script contexts):
    plain text that autoescape then escapes like any other."""
    return json.dumps(value, ensure_ascii=False)


env.filters.update(when=_when, usd=_usd, size=_size, value=_value)


def fragment(name: str, **context: Any) -> str:
    """A piece of a page as text (an SSE message)."""
    return env.get_template(name).render(**context)


def html(name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A fragment or a page that needs no session (sign-in, errors)."""
    return HTMLResponse(env.get_template(name).render(**context), status_code=status)


async def page(
    request: Request,
    res: Resources,
    session: PageSession,
    name: str,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A full page for a signed-in person: the layout needs the account, the form token and the
    one-off message left by the last action."""
    return html(
        name,
        status=status,
        account=session.account,
        csrf=session.csrf,
        flash=await take_flash(res, session),
        path=request.url.path,
        **context,
    )


def see_other(url: str) -> RedirectResponse:
    # 303 after every POST: a reload never re-submits the form.
    return RedirectResponse(url, status_code=303)

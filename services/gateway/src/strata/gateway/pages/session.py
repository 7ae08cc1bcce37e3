"""Signed-in people: a session cookie, the form token that guards every change, one-off messages.

The cookie holds 256 random bits; the database keeps only their sha256 and the hash of the API
token the person signed in with, so neither a leaked table nor a readable cookie gives a token
away. Each page request checks that token with the API's own statement (`authenticate`), so a
revoked or expired token signs its sessions out on the next click."""

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Form, Header, Request

from strata.gateway.sql import Q
from strata.gateway.web.auth import Account
from strata.gateway.web.deps import Res, Resources
from strata.gateway.web.errors import ApiError
from strata.gateway.web.tokens import hash_token

COOKIE = "strata_session"
SESSION_TTL_S = 12 * 3600
MAX_COOKIE = 100  # longer values are not ours; never hash attacker-sized input


class SignInRequiredError(Exception):
    """No live session: the page handler's answer is a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class PageSession:
    id_hash: str
    csrf: str
    account: Account
    has_flash: bool


def safe_next(value: str | None) -> str:
    """Only our own pages are places to go back to (no open redirect: no scheme, host, `//`)."""
    if not value:
        return "/app/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/app/") or "\\" in value:
        return "/app/"
    return value


async def load_session(request: Request, res: Resources) -> PageSession | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > MAX_COOKIE:
        return None
    id_hash = hash_token(raw)
    row = await res.pool.fetchrow(Q.get_web_session, id_hash)
    if row is None:
        return None
    account = await res.pool.fetchrow(Q.authenticate, row["token_hash"])
    if account is None:  # the token was revoked: the session dies with it
        return None
    return PageSession(
        id_hash=id_hash,
        csrf=row["csrf_token"],
        account=Account(
            id=account["id"],
            name=account["name"],
            is_superuser=account["is_superuser"],
            token_id=account["token_id"],  # review audit names the token that acted
        ),
        has_flash=row["has_flash"],
    )


async def page_session(request: Request, res: Res) -> PageSession:
    session = await load_session(request, res)
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequiredError(safe_next(target) if request.method == "GET" else "/app/")
    return session


Session = Annotated[PageSession, Depends(page_session)]


def same_origin(request: Request) -> bool:
    """A browser names the page a POST came from; a foreign one is refused outright."""
    origin = request.headers.get("origin")
    if origin is None:  # not every client names it; the form token still has to match
        return True
    return origin != "null" and urlsplit(origin).netloc == request.headers.get("host", "")


async def checked_session(
    request: Request,
    session: Session,
    csrf: Annotated[str | None, Form()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> PageSession:
    """Every state-changing page request: a live session, same origin, and its form token (a
    hidden field in forms, the `X-CSRF-Token` header on htmx and script requests)."""
    given = csrf or x_csrf_token or ""
    if not same_origin(request) or not hmac.compare_digest(given, session.csrf):
        raise ApiError(403, "csrf_failed", "the form was stale or not ours: reload the page")
    return session


Changing = Annotated[PageSession, Depends(checked_session)]


async def open_session(res: Resources, token: str) -> tuple[str, Any] | None:
    """A new session for a live token: (cookie value, account row), or None."""
    token_hash = hash_token(token)
    account = await res.pool.fetchrow(Q.authenticate, token_hash)
    if account is None:
        return None
    await res.pool.execute(Q.purge_web_sessions)
    raw = secrets.token_urlsafe(32)
    await res.pool.fetchval(
        Q.insert_web_session, hash_token(raw), token_hash, secrets.token_urlsafe(32), SESSION_TTL_S
    )
    return raw, account


async def close_session(res: Resources, session: PageSession) -> None:
    await res.pool.execute(Q.delete_web_session, session.id_hash)


async def flash(res: Resources, session: PageSession, text: str, *, kind: str = "ok") -> None:
    await res.pool.execute(Q.set_web_flash, session.id_hash, {"kind": kind, "text": text})


async def take_flash(res: Resources, session: PageSession) -> dict[str, str] | None:
    if not session.has_flash:
        return None
    return await res.pool.fetchval(Q.take_web_flash, session.id_hash)

"""Sign in with an API token, sign out.

The sign-in form has no session yet, so it is guarded by a double-submit token: a random value
in an HttpOnly, SameSite=Strict cookie that the form must echo. A foreign page can neither read
the cookie nor make the browser send it, so it cannot sign someone into an account of its own."""

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from strata.gateway.pages.render import html, see_other
from strata.gateway.pages.session import (
    COOKIE,
    SESSION_TTL_S,
    Changing,
    close_session,
    load_session,
    open_session,
    safe_next,
    same_origin,
)
from strata.gateway.web.deps import Res

router = APIRouter()
LOGIN_COOKIE = "strata_login"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _form(request: Request, *, next_path: str, error: str | None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = html("signin.html", status=status, login_csrf=token, next=next_path, error=error)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path="/app/signin",
        httponly=True,
        secure=_secure(request),
        samesite="strict",
    )
    return response


@router.get("/signin")
async def signin_form(request: Request, res: Res, next: str | None = None) -> Response:
    if await load_session(request, res) is not None:
        return see_other(safe_next(next))
    return _form(request, next_path=safe_next(next), error=None)


@router.post("/signin")
async def signin(
    request: Request,
    res: Res,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/app/",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf, expected) or not same_origin(request):
        return _form(
            request, next_path=safe_next(next), error="The form expired: try again.", status=403
        )
    opened = await open_session(res, token.strip()) if token.strip() else None
    if opened is None:
        # One answer for unknown, malformed and revoked tokens, as the API gives.
        return _form(
            request, next_path=safe_next(next), error="That token is not valid.", status=401
        )
    raw, _ = opened
    response = see_other(safe_next(next))
    response.set_cookie(
        COOKIE,
        raw,
        max_age=SESSION_TTL_S,
        path="/app",
        httponly=True,
        secure=_secure(request),
        samesite="lax",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/app/signin")
    return response


@router.post("/signout")
async def signout(session: Changing, res: Res) -> Response:
    await close_session(res, session)
    response = see_other("/app/signin")
    response.delete_cookie(COOKIE, path="/app")
    return response

"""Small things every page handler needs: the caller, typed form input, errors as messages."""

from collections.abc import Awaitable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from strata.gateway.pages.render import see_other
from strata.gateway.pages.session import PageSession, flash
from strata.gateway.web.deps import Resources
from strata.gateway.web.errors import ApiError, describe_validation_errors

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
# Answers a person can act on from the page they are on; anything else (404 above all) is a page.
FIXABLE = {400, 409, 410, 413, 422, 429, 502, 503}


def parse(model: type[M], **data: Any) -> M:
    """Form input through the API's own request model, so the rules and messages are the API's."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", describe_validation_errors(exc.errors())) from None


def wants_fragment(request: Request) -> bool:
    """htmx and the upload script ask for a piece of a page, not a redirect."""
    return request.headers.get("hx-request") == "true" or "x-upload" in request.headers


async def attempt(
    res: Resources, session: PageSession, call: Awaitable[T], *, back: str
) -> T | Response:
    """Run an action; a refusal the person can fix becomes a message on the page they came
    from (after a redirect, so a reload never repeats the POST)."""
    try:
        return await call
    except ApiError as exc:
        if exc.status not in FIXABLE:
            raise
        await flash(res, session, exc.message, kind="error")
        return see_other(back)

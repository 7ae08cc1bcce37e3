"""Provider keys of the signed-in account: list, add (the secret goes in once and is never
shown again), validate, delete."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from strata.contracts.keys import Provider
from strata.gateway.api_models import ProviderKeyCreate
from strata.gateway.pages.common import attempt, parse
from strata.gateway.pages.render import page, see_other
from strata.gateway.pages.session import Changing, Session, flash
from strata.gateway.routes import keys
from strata.gateway.web.deps import Res

router = APIRouter()
BACK = "/app/keys"


@router.get("/keys")
async def keys_page(request: Request, session: Session, res: Res) -> Response:
    listed = await keys.list_keys(session.account, res, res.settings.page_size_max)
    return await page(
        request,
        res,
        session,
        "keys.html",
        keys=listed.items,
        providers=list(Provider),
        sealed=res.settings.crypto.master() is not None,
    )


@router.post("/keys")
async def key_add(
    *,
    session: Changing,
    res: Res,
    provider: Annotated[str, Form(max_length=50)] = "anthropic",
    api_key: Annotated[str, Form(max_length=600)] = "",
    base_url: Annotated[str, Form(max_length=600)] = "",
    label: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    async def add() -> None:
        body = parse(
            ProviderKeyCreate,
            provider=provider,
            api_key=api_key,
            base_url=base_url.strip() or None,
            label=label.strip() or None,
        )
        await keys.create_key(body, session.account, res)

    refused = await attempt(res, session, add(), back=BACK)
    if isinstance(refused, Response):
        return refused
    await flash(res, session, "Key added. It is stored sealed and never shown again.")
    return see_other(BACK)


@router.post("/keys/{key_id}/validate")
async def key_validate(key_id: UUID, session: Changing, res: Res) -> Response:
    checking = keys.validate_key(key_id, session.account, res)
    checked = await attempt(res, session, checking, back=BACK)
    if isinstance(checked, Response):
        return checked
    await flash(res, session, f"The provider says the key is {checked.status}.")
    return see_other(BACK)


@router.post("/keys/{key_id}/delete")
async def key_delete(key_id: UUID, session: Changing, res: Res) -> Response:
    await keys.delete_key(key_id, session.account, res)
    await flash(res, session, "Key deleted.")
    return see_other(BACK)

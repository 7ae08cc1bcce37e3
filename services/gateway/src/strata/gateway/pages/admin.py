"""Superuser pages: the admin policy with its audit, and the dead letters. Other accounts get
the API's 403 as a page."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from strata.contracts.policy import PolicySnapshot
from strata.gateway.pages.common import attempt
from strata.gateway.pages.render import page, see_other
from strata.gateway.pages.session import Changing, Session, flash
from strata.gateway.routes import admin_dead_letters, admin_policies
from strata.gateway.web.auth import superuser
from strata.gateway.web.deps import Res

router = APIRouter(prefix="/admin")
BACK = "/app/admin/policies"


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _typed(text: str) -> Any:
    """A form field back into a policy value: JSON when it parses (numbers, true, null), else
    the text itself; PolicySnapshot then checks types and bounds as the API does."""
    try:
        return json.loads(text)
    except ValueError:
        return text


@router.get("/policies")
async def policies_page(request: Request, session: Session, res: Res) -> Response:
    admin = await superuser(session.account)
    policy = await admin_policies.get_policies(admin, res)
    audit = await admin_policies.policy_audit(admin, res, limit=50, cursor=None)
    fields = [(k, _shown(v)) for k, v in policy.settings.items()]
    return await page(
        request, res, session, "policies.html", policy=policy, fields=fields, audit=audit.items
    )


@router.post("/policies")
async def policies_save(request: Request, session: Changing, res: Res) -> Response:
    admin = await superuser(session.account)
    form = await request.form()
    current = (await admin_policies.get_policies(admin, res)).settings
    changes: dict[str, Any] = {}
    for key in PolicySnapshot.model_fields:
        given = form.get(f"policy.{key}")
        if isinstance(given, str) and key in current and given != _shown(current[key]):
            changes[key] = _typed(given)
    saving = admin_policies.patch_policies(changes, admin, res)
    saved = await attempt(res, session, saving, back=BACK)
    if isinstance(saved, Response):
        return saved
    await flash(res, session, f"Saved: {', '.join(sorted(changes)) or 'nothing changed'}.")
    return see_other(BACK)


@router.get("/dead-letters")
async def dead_letters_page(
    request: Request,
    session: Session,
    res: Res,
    queue: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    admin = await superuser(session.account)
    listed = await admin_dead_letters.list_dead_letters(
        caller=admin, res=res, limit=50, cursor=cursor, queue=queue or None
    )
    return await page(
        request,
        res,
        session,
        "dead_letters.html",
        letters=listed.items,
        next_cursor=listed.next_cursor,
        queue=queue or "",
    )

"""The schema builder's fields editor: one form post for every action. Add, remove and move
redraw the form with the edit applied (no script needed; htmx swaps just the editor when it is
there); Check asks the API's compatibility check; Save posts the builder spec as a new version
through the API's own route function, so its rules and messages are the API's. A stale base
(someone saved first) is the API's 409, said plainly above the person's unsaved draft."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from strata.gateway.api_models import Schema, SchemaVersionCreate
from strata.gateway.api_models_schemas import CheckRequest
from strata.gateway.pages.builder_form import Editor, apply, errors_by_place, read_form, to_spec
from strata.gateway.pages.common import FIXABLE
from strata.gateway.pages.render import see_other
from strata.gateway.pages.schemas import schema_page
from strata.gateway.pages.session import Changing, flash
from strata.gateway.routes import builder, schemas
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import ApiError

router = APIRouter()
INVALID = "Not saved: the API refused some of these fields (each message is beside its field)."


@router.post("/schemas/{schema_id}/builder")
async def builder_post(
    schema_id: UUID,
    *,
    request: Request,
    session: Changing,
    res: Res,
    op: Annotated[str, Form(max_length=40)] = "",
    base_version: Annotated[int, Form(ge=1, le=2**31 - 1)] = 1,
) -> Response:
    fields, settings = read_form(await request.form())
    editor = Editor(fields, settings, base_version=base_version)
    if op not in ("save", "check"):
        editor.fields, editor.focus = apply(fields, op)
        editor.focus_input = op.partition(":")[0]
        return await schema_page(schema_id, request, session, res, editor=editor)
    try:
        body = SchemaVersionCreate.model_validate(
            {"builder": to_spec(fields, settings), "base_version": base_version}
        )
    except ValidationError as exc:
        editor.errors = errors_by_place(exc.errors())
        editor.message = INVALID
        return await schema_page(schema_id, request, session, res, editor=editor, status=422)
    assert body.builder is not None
    try:
        if op == "check":
            editor.checked = await builder.check_schema(
                CheckRequest(builder=body.builder), session.account, res
            )
            return await schema_page(schema_id, request, session, res, editor=editor)
        answer = await schemas.create_version(schema_id, body, session.account, res)
    except ApiError as exc:
        if exc.status not in FIXABLE:
            raise
        editor.message = exc.message
        if exc.code == "stale_version" and isinstance(exc.details, dict):
            editor.conflict = exc.details
        return await schema_page(
            schema_id, request, session, res, editor=editor, status=exc.status
        )
    saved = Schema.model_validate_json(bytes(answer.body))
    await flash(
        res,
        session,
        f"Saved as version {saved.version}."
        if answer.status_code == 201
        else f"Nothing changed: version {saved.version} already holds these fields.",
    )
    return see_other(f"/app/schemas/{saved.id}")

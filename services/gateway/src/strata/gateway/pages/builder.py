"""The schema builder's fields editor: one form post for every action, for a new schema or the
next version of one. Add, remove and move redraw the form with the edit applied (no script
needed; htmx swaps just the editor when it is there); Check asks the API's compatibility check;
Save posts the builder spec through the API's own route function (`create_schema`,
`create_version`), so its rules and messages are the API's. A stale base (someone saved first)
is the API's 409, said plainly above the person's unsaved draft."""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from strata.gateway.api_models import Schema, SchemaCreate, SchemaVersionCreate
from strata.gateway.api_models_schemas import CheckRequest
from strata.gateway.domain.fields import DEFAULT_INSTRUCTIONS
from strata.gateway.pages.builder_form import (
    FIELD_TYPES,
    Draft,
    Editor,
    apply,
    errors_by_place,
    read_form,
    to_spec,
)
from strata.gateway.pages.common import FIXABLE
from strata.gateway.pages.render import page, see_other
from strata.gateway.pages.schemas import schema_page
from strata.gateway.pages.session import Changing, PageSession, Session, flash
from strata.gateway.routes import builder, projects, schemas
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import ApiError

router = APIRouter()
INVALID = "Not saved: the API refused some of these fields (each message is beside its field)."
Body = TypeVar("Body", SchemaCreate, SchemaVersionCreate)
Redraw = Callable[[Editor, int], Awaitable[Response]]
# About ten inputs a field: the API's 200 fields with sub-fields are well over Starlette's
# default of 1000 form fields (the body size limit still bounds the whole form).
MAX_FORM_FIELDS = 20_000


async def _act(
    res: Res,
    session: PageSession,
    *,
    op: str,
    editor: Editor,
    body_of: Callable[[dict[str, object]], Body],
    save: Callable[[Body], Awaitable[JSONResponse]],
    redraw: Redraw,
) -> Response:
    """One action of the editor: a structural edit, the check, or the save."""
    if op not in ("save", "check"):
        editor.fields, editor.focus = apply(editor.fields, op)
        editor.focus_input = op.partition(":")[0]
        return await redraw(editor, 200)
    try:
        body = body_of(to_spec(editor.fields, editor.settings))
    except ValidationError as exc:
        editor.errors = errors_by_place(exc.errors())
        editor.message = INVALID
        return await redraw(editor, 422)
    assert body.builder is not None
    try:
        if op == "check":
            request = CheckRequest(builder=body.builder)
            editor.checked = await builder.check_schema(request, session.account, res)
            return await redraw(editor, 200)
        answer = await save(body)
    except ApiError as exc:
        if exc.status not in FIXABLE:
            raise
        editor.message = exc.message
        if exc.code == "stale_version" and isinstance(exc.details, dict):
            editor.conflict = exc.details
        return await redraw(editor, exc.status)
    saved = Schema.model_validate_json(bytes(answer.body))
    await flash(
        res,
        session,
        f"Saved as version {saved.version}."
        if answer.status_code == 201
        else f"Nothing changed: version {saved.version} already holds these fields.",
    )
    return see_other(f"/app/schemas/{saved.id}")


@router.post("/schemas/{schema_id}/builder", form_limits={"max_fields": MAX_FORM_FIELDS})
async def builder_post(
    schema_id: UUID,
    *,
    request: Request,
    session: Changing,
    res: Res,
    op: Annotated[str, Form(max_length=40)] = "",
    base_version: Annotated[int, Form(ge=1, le=2**31 - 1)] = 1,
) -> Response:
    """The next version of a schema."""
    fields, settings = read_form(await request.form())

    async def redraw(editor: Editor, status: int) -> Response:
        return await schema_page(schema_id, request, session, res, editor=editor, status=status)

    return await _act(
        res,
        session,
        op=op,
        editor=Editor(fields, settings, base_version=base_version),
        body_of=lambda spec: SchemaVersionCreate.model_validate(
            {"builder": spec, "base_version": base_version}
        ),
        save=lambda body: schemas.create_version(schema_id, body, session.account, res),
        redraw=redraw,
    )


async def _new_page(
    project_id: UUID,
    request: Request,
    session: PageSession,
    res: Res,
    *,
    name: str,
    editor: Editor,
    status: int = 200,
) -> Response:
    return await page(
        request,
        res,
        session,
        "schema_new.html",
        status=status,
        project=await projects.get_project(project_id, session.account, res),
        editor=editor,
        field_types=FIELD_TYPES,
        builder_action=f"/app/projects/{project_id}/schemas/new",
        save_label="Save the new schema",
        new_name=name,
    )


@router.get("/projects/{project_id}/schemas/new")
async def new_schema(project_id: UUID, request: Request, session: Session, res: Res) -> Response:
    """A new schema made with the builder: one blank field to start from."""
    settings = {"instructions": DEFAULT_INSTRUCTIONS, "model": ""}
    editor = Editor([Draft()], settings | {"temperature": "", "max_tokens": ""}, base_version=1)
    return await _new_page(project_id, request, session, res, name="", editor=editor)


@router.post("/projects/{project_id}/schemas/new", form_limits={"max_fields": MAX_FORM_FIELDS})
async def new_schema_post(
    project_id: UUID,
    *,
    request: Request,
    session: Changing,
    res: Res,
    op: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    fields, settings = read_form(await request.form())

    async def redraw(editor: Editor, status: int) -> Response:
        return await _new_page(
            project_id, request, session, res, name=name, editor=editor, status=status
        )

    return await _act(
        res,
        session,
        op=op,
        editor=Editor(fields, settings, base_version=1),
        body_of=lambda spec: SchemaCreate.model_validate({"builder": spec, "name": name.strip()}),
        save=lambda body: schemas.create_schema(project_id, body, session.account, res),
        redraw=redraw,
    )

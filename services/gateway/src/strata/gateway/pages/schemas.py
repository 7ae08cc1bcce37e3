"""Schemas: create one in a project, look at a version (its fields as the builder reads them, or
the keywords that keep it JSON-only), check the editor's text, save a new version (a stale base
is the API's 409 message), fork, and the diff of two versions. JSON is the advanced editor."""

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from strata.gateway.api_models import Schema, SchemaCreate, SchemaVersionCreate
from strata.gateway.api_models_schemas import CheckOut, CheckRequest, SchemaFork
from strata.gateway.pages.builder_form import FIELD_TYPES, Editor, from_spec
from strata.gateway.pages.common import FIXABLE, attempt, parse
from strata.gateway.pages.render import page, see_other
from strata.gateway.pages.session import Changing, PageSession, Session
from strata.gateway.routes import builder, schemas
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import ApiError

router = APIRouter()
EXAMPLE = {
    "type": "object",
    "properties": {
        "title": {"type": ["string", "null"], "description": "the block's subject"},
        "amount": {"type": ["number", "null"]},
    },
}


def _json_object(text: str, what: str) -> dict[str, Any] | None:
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ApiError(422, "invalid_schema", f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ApiError(422, "invalid_schema", f"{what} must be a JSON object")
    return value


@router.post("/projects/{project_id}/schemas")
async def schema_create(
    project_id: UUID,
    session: Changing,
    res: Res,
    name: Annotated[str, Form(max_length=1000)] = "",
    definition: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    async def create() -> UUID:
        body = parse(
            SchemaCreate,
            name=name.strip(),
            definition=_json_object(definition, "the definition") or {},
        )
        answer = await schemas.create_schema(project_id, body, session.account, res)
        return Schema.model_validate_json(bytes(answer.body)).id

    made = await attempt(res, session, create(), back=f"/app/projects/{project_id}")
    return made if isinstance(made, Response) else see_other(f"/app/schemas/{made}")


async def schema_page(
    schema_id: UUID,
    request: Request,
    session: PageSession,
    res: Res,
    *,
    definition: str | None = None,
    checked: CheckOut | None = None,
    problem: str | None = None,
    editor: Editor | None = None,
    status: int | None = None,
) -> Response:
    """The schema page: the fields editor (as saved, or as the person left it), the JSON editor
    and the versions."""
    caller = session.account
    schema = await schemas.get_schema(schema_id, caller, res)
    versions = await schemas.list_versions(schema_id, caller, res, res.settings.page_size_max, None)
    reading = await schemas.version_fields(schema_id, schema.version, caller, res)
    if editor is None and reading.builder is not None:
        editor = Editor(*from_spec(reading.builder), base_version=schema.version)
    return await page(
        request,
        res,
        session,
        "schema.html",
        status=status or (422 if problem else 200),
        schema=schema,
        versions=versions.items,
        reading=reading,
        editor=editor,
        field_types=FIELD_TYPES,
        builder_action=f"/app/schemas/{schema.id}/builder",
        save_label=f"Save the fields as version {schema.version + 1}",
        new_name=None,
        checked=checked,
        problem=problem,
        definition=(
            definition
            if definition is not None
            else json.dumps(schema.definition, indent=2, ensure_ascii=False)
        ),
    )


@router.get("/schemas/{schema_id}")
async def schema_get(schema_id: UUID, request: Request, session: Session, res: Res) -> Response:
    return await schema_page(schema_id, request, session, res)


@router.post("/schemas/{schema_id}/versions")
async def schema_version(
    schema_id: UUID,
    session: Changing,
    res: Res,
    definition: Annotated[str, Form(max_length=200_000)] = "",
    base_version: Annotated[int, Form(ge=1)] = 1,
) -> Response:
    async def save() -> UUID:
        body = parse(
            SchemaVersionCreate,
            definition=_json_object(definition, "the definition") or {},
            base_version=base_version,
        )
        answer = await schemas.create_version(schema_id, body, session.account, res)
        return Schema.model_validate_json(bytes(answer.body)).id

    made = await attempt(res, session, save(), back=f"/app/schemas/{schema_id}")
    return made if isinstance(made, Response) else see_other(f"/app/schemas/{made}")


@router.post("/schemas/{schema_id}/check")
async def schema_check(
    schema_id: UUID,
    request: Request,
    session: Changing,
    res: Res,
    definition: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """The compatibility check of the text in the editor, without saving it."""
    try:
        parsed = _json_object(definition, "the definition") or {}
        body = parse(CheckRequest, definition=parsed)
        checked: CheckOut | None = await builder.check_schema(body, session.account, res)
        problem = None
    except ApiError as exc:
        if exc.status not in FIXABLE:
            raise
        checked, problem = None, exc.message
    return await schema_page(
        schema_id, request, session, res, definition=definition, checked=checked, problem=problem
    )


@router.post("/schemas/{schema_id}/fork")
async def schema_fork(
    schema_id: UUID,
    session: Changing,
    res: Res,
    name: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    async def fork() -> UUID:
        body = parse(SchemaFork, name=name.strip())
        answer = await schemas.fork_schema(schema_id, body, session.account, res)
        return Schema.model_validate_json(bytes(answer.body)).id

    made = await attempt(res, session, fork(), back=f"/app/schemas/{schema_id}")
    return made if isinstance(made, Response) else see_other(f"/app/schemas/{made}")


@router.get("/schemas/{schema_id}/diff")
async def schema_diff(
    schema_id: UUID,
    *,
    request: Request,
    session: Session,
    res: Res,
    from_version: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)] = 1,
    to_version: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1)] = 1,
) -> Response:
    caller = session.account
    schema = await schemas.get_schema(schema_id, caller, res)
    changes = await schemas.diff_versions(schema_id, caller, res, from_version, to_version)
    return await page(request, res, session, "schema_diff.html", schema=schema, diff=changes)

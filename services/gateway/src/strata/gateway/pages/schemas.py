"""Schemas as JSON: create one in a project, look at a version, save a new version.

(The builder and the template gallery of issue 11 sit beside this; JSON stays the advanced
editor for schemas outside the builder's subset.)"""

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from strata.gateway.api_models import Schema, SchemaCreate, SchemaVersionCreate
from strata.gateway.pages.common import attempt, parse
from strata.gateway.pages.render import page, see_other
from strata.gateway.pages.session import Changing, Session
from strata.gateway.routes import schemas
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


@router.get("/schemas/{schema_id}")
async def schema_page(schema_id: UUID, request: Request, session: Session, res: Res) -> Response:
    schema = await schemas.get_schema(schema_id, session.account, res)
    return await page(
        request,
        res,
        session,
        "schema.html",
        schema=schema,
        definition=json.dumps(schema.definition, indent=2, ensure_ascii=False),
    )


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

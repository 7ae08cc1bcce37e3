"""Extraction schemas: immutable versions; an edit is a new version based on the latest."""

from typing import Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Response

from strata.gateway.api_models import (
    ErrorBody,
    Page,
    Schema,
    SchemaCreate,
    SchemaVersionCreate,
)
from strata.gateway.domain import deletion
from strata.gateway.domain.schema_rules import (
    InvalidSchemaError,
    validate_definition,
    validate_prompt_config,
)
from strata.gateway.routes.projects import require_project
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.cursors import (
    decode_index_cursor,
    decode_name_cursor,
    encode_name_cursor,
    split_page,
)
from strata.gateway.web.deps import Cursor, Limit, Res
from strata.gateway.web.errors import ApiError, not_found

router = APIRouter(tags=["schemas"])


def _validated(
    definition: dict[str, Any], prompt_config: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        normalised = validate_definition(definition)
        prompt = validate_prompt_config(prompt_config, properties=normalised["properties"])
    except InvalidSchemaError as exc:
        raise ApiError(422, "invalid_schema", str(exc)) from None
    return normalised, prompt.model_dump(mode="json")


def _stale(name: str, latest: int, base: int) -> ApiError:
    return ApiError(
        409,
        "stale_version",
        f"schema {name!r} is at version {latest}, not {base}: reload it and apply your edit again",
    )


@router.post(
    "/projects/{project_id}/schemas",
    status_code=201,
    responses={409: {"model": ErrorBody, "description": "`schema_exists`"}},
)
async def create_schema(project_id: UUID, body: SchemaCreate, caller: Caller, res: Res) -> Schema:
    await require_project(res.pool, project_id, caller.id)
    definition, prompt_config = _validated(body.definition, body.prompt_config)
    conflict = ApiError(
        409, "schema_exists", f"schema {body.name!r} exists: add a version to it instead"
    )
    if await res.pool.fetchval(Q.schema_name_exists, project_id, body.name, caller.id):
        raise conflict
    try:
        row = await res.pool.fetchrow(
            Q.insert_schema,
            uuid4(),
            caller.id,
            project_id,
            body.name,
            1,
            None,
            definition,
            prompt_config,
        )
    except asyncpg.UniqueViolationError:  # a concurrent create of the same name won
        raise conflict from None
    return Schema.model_validate(dict(row))


@router.post(
    "/schemas/{schema_id}/versions",
    status_code=201,
    responses={409: {"model": ErrorBody, "description": "`stale_version`"}},
)
async def create_version(
    schema_id: UUID, body: SchemaVersionCreate, caller: Caller, res: Res
) -> Schema:
    async with res.pool.acquire() as conn, conn.transaction():
        base = await conn.fetchrow(Q.get_schema, schema_id, caller.id)
        if base is None:
            raise not_found("schema")
        latest = await conn.fetchrow(
            Q.latest_schema_version, base["project_id"], base["name"], caller.id
        )
        if latest["version"] != body.base_version:
            raise _stale(base["name"], latest["version"], body.base_version)
        prompt_in = (
            body.prompt_config if body.prompt_config is not None else latest["prompt_config"]
        )
        definition, prompt_config = _validated(body.definition, prompt_in)
        try:
            row = await conn.fetchrow(
                Q.insert_schema,
                uuid4(),
                caller.id,
                base["project_id"],
                base["name"],
                latest["version"] + 1,
                latest["id"],
                definition,
                prompt_config,
            )
        except asyncpg.UniqueViolationError:
            raise _stale(base["name"], latest["version"] + 1, body.base_version) from None
    return Schema.model_validate(dict(row))


@router.delete(
    "/schemas/{schema_id}",
    status_code=204,
    responses={409: {"model": ErrorBody, "description": "`schema_in_use` (runs used it)"}},
)
async def delete_schema(schema_id: UUID, caller: Caller, res: Res) -> Response:
    """Every version of this schema's name. `409 schema_in_use` while any run used one of them
    (delete those runs first)."""
    await deletion.delete_schema(res, schema_id=schema_id, account_id=caller.id)
    return Response(status_code=204)


@router.get("/schemas/{schema_id}")
async def get_schema(schema_id: UUID, caller: Caller, res: Res) -> Schema:
    row = await res.pool.fetchrow(Q.get_schema, schema_id, caller.id)
    if row is None:
        raise not_found("schema")
    return Schema.model_validate(dict(row))


@router.get("/projects/{project_id}/schemas")
async def list_schemas(
    project_id: UUID, caller: Caller, res: Res, limit: Limit, cursor: Cursor = None
) -> Page[Schema]:
    """The latest version of each name, by name."""
    after = decode_name_cursor(cursor)
    await require_project(res.pool, project_id, caller.id)
    rows = await res.pool.fetch(Q.list_latest_schemas, project_id, caller.id, after, limit + 1)
    page, more = split_page(rows, limit)
    return Page[Schema](
        items=[Schema.model_validate(dict(r)) for r in page],
        next_cursor=encode_name_cursor(page[-1]["name"]) if more else None,
    )


@router.get("/schemas/{schema_id}/versions")
async def list_versions(
    schema_id: UUID, caller: Caller, res: Res, limit: Limit, cursor: Cursor = None
) -> Page[Schema]:
    """Every version of this schema's name, oldest first (any version's id names them all)."""
    after = max(decode_index_cursor(cursor), 0)  # a version number: a non-negative int32
    base = await res.pool.fetchrow(Q.get_schema, schema_id, caller.id)
    if base is None:
        raise not_found("schema")
    rows = await res.pool.fetch(
        Q.list_schema_versions, base["project_id"], base["name"], caller.id, after, limit + 1
    )
    page, more = split_page(rows, limit)
    return Page[Schema](
        items=[Schema.model_validate(dict(r)) for r in page],
        next_cursor=str(page[-1]["version"]) if more else None,
    )

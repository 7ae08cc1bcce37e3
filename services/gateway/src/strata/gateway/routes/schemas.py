"""Extraction schemas: immutable versions; an edit is a new version based on the latest, a fork
copies a version into a new schema. Saves repeat their first answer for an `Idempotency-Key`."""

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from strata.gateway.api_models import ErrorBody, Page, Schema, SchemaCreate, SchemaVersionCreate
from strata.gateway.api_models_schemas import BuilderReading, SchemaDiff, SchemaFork
from strata.gateway.domain import deletion, idempotency, schema_versions
from strata.gateway.domain.builder import from_schema
from strata.gateway.domain.fields import BuilderSpec
from strata.gateway.domain.schema_diff import diff
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
from strata.gateway.web.errors import not_found

router = APIRouter(tags=["schemas"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="a retry with the same key repeats the first answer",
    ),
]


async def _validated(
    res: Res,
    definition: dict[str, Any] | None,
    prompt_config: dict[str, Any] | None,
    builder: BuilderSpec | None,
) -> schema_versions.Content:
    # In a thread: checking an untrusted schema costs up to ~0.1 s of CPU (the metaschema over a
    # few hundred properties), which on the event loop would stall every other request.
    return await asyncio.to_thread(
        schema_versions.validated,
        definition=definition,
        prompt_config=prompt_config,
        builder=builder,
        limits=res.settings.schema_limits,
        admin_settings=await res.pool.fetchval(Q.policy_settings),
    )


def _answer(status: int, schema: Schema) -> JSONResponse:
    return JSONResponse(schema.model_dump(mode="json"), status_code=status)


@router.post(
    "/projects/{project_id}/schemas",
    status_code=201,
    response_model=Schema,
    responses={409: {"model": ErrorBody, "description": "`schema_exists`"}},
)
async def create_schema(
    project_id: UUID, body: SchemaCreate, caller: Caller, res: Res, key: IdempotencyKey = None
) -> JSONResponse:
    await require_project(res.pool, project_id, caller.id)
    content = await _validated(res, body.definition, body.prompt_config, body.builder)
    scope = f"POST /projects/{project_id}/schemas"
    async with res.pool.acquire() as conn, conn.transaction():
        request = body.model_dump(mode="json")
        kwargs: dict[str, Any] = {"account_id": caller.id, "key": key}
        if replay := await idempotency.claim(conn, scope=scope, body=request, **kwargs):
            return JSONResponse(replay.body, status_code=replay.status)
        row = await schema_versions.create(
            conn, account_id=caller.id, project_id=project_id, name=body.name, content=content
        )
        schema = Schema.model_validate(dict(row))
        await idempotency.record(conn, status=201, body=schema.model_dump(mode="json"), **kwargs)
    return _answer(201, schema)


@router.post(
    "/schemas/{schema_id}/versions",
    status_code=201,
    response_model=Schema,
    responses={
        200: {"model": Schema, "description": "identical to the latest: nothing new"},
        409: {"model": ErrorBody, "description": "`stale_version`"},
    },
)
async def create_version(
    schema_id: UUID, body: SchemaVersionCreate, caller: Caller, res: Res, key: IdempotencyKey = None
) -> JSONResponse:
    content = (
        None
        if body.builder is None and body.prompt_config is None
        else await _validated(res, body.definition, body.prompt_config, body.builder)
    )
    async with res.pool.acquire() as conn, conn.transaction():
        kwargs: dict[str, Any] = {"account_id": caller.id, "key": key}
        scope = f"POST /schemas/{schema_id}/versions"
        request = body.model_dump(mode="json")
        if replay := await idempotency.claim(conn, scope=scope, body=request, **kwargs):
            return JSONResponse(replay.body, status_code=replay.status)
        row, created = await schema_versions.save(
            conn,
            account_id=caller.id,
            schema_id=schema_id,
            base_version=body.base_version,
            content=content,
            limits=res.settings.schema_limits,
            definition=body.definition,
        )
        schema, status = Schema.model_validate(dict(row)), 201 if created else 200
        await idempotency.record(conn, status=status, body=schema.model_dump(mode="json"), **kwargs)
    return _answer(status, schema)


@router.post(
    "/schemas/{schema_id}/fork",
    status_code=201,
    response_model=Schema,
    responses={409: {"model": ErrorBody, "description": "`schema_exists`: the name is taken"}},
)
async def fork_schema(
    schema_id: UUID, body: SchemaFork, caller: Caller, res: Res, key: IdempotencyKey = None
) -> JSONResponse:
    """Copy this version (definition, prompt settings, template) into a new schema, version 1,
    whose parent is this version."""
    async with res.pool.acquire() as conn, conn.transaction():
        kwargs: dict[str, Any] = {"account_id": caller.id, "key": key}
        scope = f"POST /schemas/{schema_id}/fork"
        if replay := await idempotency.claim(
            conn, scope=scope, body=body.model_dump(mode="json"), **kwargs
        ):
            return JSONResponse(replay.body, status_code=replay.status)
        source = await conn.fetchrow(Q.get_schema, schema_id, caller.id)
        if source is None:
            raise not_found("schema")
        project_id = body.project_id or source["project_id"]
        await require_project(conn, project_id, caller.id)
        content = schema_versions.Content(
            source["definition"],
            source["prompt_config"],
            source["template_id"],
            source["template_params"],
        )
        row = await schema_versions.create(
            conn,
            account_id=caller.id,
            project_id=project_id,
            name=body.name,
            content=content,
            parent_id=source["id"],
        )
        schema = Schema.model_validate(dict(row))
        await idempotency.record(conn, status=201, body=schema.model_dump(mode="json"), **kwargs)
    return _answer(201, schema)


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


@router.get("/schemas/{schema_id}/versions/{number}/fields")
async def version_fields(schema_id: UUID, number: int, caller: Caller, res: Res) -> BuilderReading:
    """The version as builder fields, or the keywords that keep it JSON-only."""
    row = await schema_versions.version(
        res.pool, account_id=caller.id, schema_id=schema_id, number=number
    )
    reading = from_schema(row["definition"], row["prompt_config"])
    return BuilderReading(
        editable=reading.spec is not None, builder=reading.spec, unsupported=reading.unsupported
    )


@router.get("/schemas/{schema_id}/diff")
async def diff_versions(
    schema_id: UUID,
    caller: Caller,
    res: Res,
    from_version: Annotated[int, Query(alias="from", ge=1)],
    to_version: Annotated[int, Query(alias="to", ge=1)],
) -> SchemaDiff:
    """Field by field: added, removed, changed (type, instructions, options, …)."""
    old, new = [
        await schema_versions.version(res.pool, account_id=caller.id, schema_id=schema_id, number=n)
        for n in (from_version, to_version)
    ]
    changes = diff(
        (old["definition"], old["prompt_config"]), (new["definition"], new["prompt_config"])
    )
    return SchemaDiff.model_validate(
        {"from_version": from_version, "to_version": to_version, **changes}
    )


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

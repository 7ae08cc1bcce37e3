"""Extraction schemas: immutable versions; an edit is a new version based on the latest, a fork
copies a version into a new schema. Saves repeat their first answer for an `Idempotency-Key`."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from strata.gateway.api_models import Page, Schema, SchemaCreate, SchemaVersionCreate
from strata.gateway.api_models_schemas import BuilderReading, SchemaDiff, SchemaFork
from strata.gateway.domain import idempotency, schema_versions
from strata.gateway.domain.builder import from_schema
from strata.gateway.domain.schema_diff import diff
from strata.gateway.routes.projects import require_project
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.deps import Res
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


def _answer(status: int, schema: Schema) -> JSONResponse:
    return JSONResponse(schema.model_dump(mode="json"), status_code=status)


@router.post("/projects/{project_id}/schemas", status_code=201, response_model=Schema)
async def create_schema(
    project_id: UUID, body: SchemaCreate, caller: Caller, res: Res, key: IdempotencyKey = None
) -> JSONResponse:
    await require_project(res.pool, project_id, caller.id)
    content = schema_versions.validated(
        definition=body.definition, prompt_config=body.prompt_config, builder=body.builder
    )
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
    responses={200: {"model": Schema, "description": "identical to the latest: nothing new"}},
)
async def create_version(
    schema_id: UUID, body: SchemaVersionCreate, caller: Caller, res: Res, key: IdempotencyKey = None
) -> JSONResponse:
    content = (
        None
        if body.builder is None and body.prompt_config is None
        else schema_versions.validated(
            definition=body.definition, prompt_config=body.prompt_config, builder=body.builder
        )
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
            definition=body.definition,
        )
        schema, status = Schema.model_validate(dict(row)), 201 if created else 200
        await idempotency.record(conn, status=status, body=schema.model_dump(mode="json"), **kwargs)
    return _answer(status, schema)


@router.post("/schemas/{schema_id}/fork", status_code=201, response_model=Schema)
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


@router.get("/schemas/{schema_id}")
async def get_schema(schema_id: UUID, caller: Caller, res: Res) -> Schema:
    row = await res.pool.fetchrow(Q.get_schema, schema_id, caller.id)
    if row is None:
        raise not_found("schema")
    return Schema.model_validate(dict(row))


@router.get("/schemas/{schema_id}/versions", description="Every version of this schema.")
async def list_versions(schema_id: UUID, caller: Caller, res: Res) -> Page[Schema]:
    rows = await schema_versions.versions(res.pool, account_id=caller.id, schema_id=schema_id)
    return Page[Schema](items=[Schema.model_validate(dict(r)) for r in rows])


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


@router.get("/projects/{project_id}/schemas", description="The latest version of each name.")
async def list_schemas(project_id: UUID, caller: Caller, res: Res) -> Page[Schema]:
    await require_project(res.pool, project_id, caller.id)
    rows = await res.pool.fetch(Q.list_latest_schemas, project_id, caller.id)
    return Page[Schema](items=[Schema.model_validate(dict(r)) for r in rows])

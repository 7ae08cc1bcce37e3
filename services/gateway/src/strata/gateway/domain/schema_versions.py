"""Schema versions: immutable rows; an edit is a new version of the same name based on the
latest, a fork copies any version into a new name, and saving what the latest already holds
creates nothing. Each function runs inside the caller's transaction."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from strata.gateway.domain.builder import to_schema
from strata.gateway.domain.fields import BuilderSpec
from strata.gateway.domain.schema_rules import (
    InvalidSchemaError,
    validate_definition,
    validate_prompt_config,
)
from strata.gateway.sql import Q
from strata.gateway.web.errors import ApiError, not_found


@dataclass(frozen=True)
class Content:
    """A validated schema version's content, and the template it came from."""

    definition: dict[str, Any]
    prompt_config: dict[str, Any]
    template_id: UUID | None = None
    template_params: dict[str, Any] | None = None


def validated(
    *,
    definition: dict[str, Any] | None,
    prompt_config: dict[str, Any] | None,
    builder: BuilderSpec | None = None,
) -> Content:
    """Normalised content from JSON Schema or from builder fields; 422 `invalid_schema`."""
    if builder is not None:
        definition, prompt_config = to_schema(builder)
    try:
        normalised = validate_definition(definition or {})
        prompt = validate_prompt_config(prompt_config, properties=normalised["properties"])
    except InvalidSchemaError as exc:
        raise ApiError(422, "invalid_schema", str(exc)) from None
    return Content(normalised, prompt.model_dump(mode="json"))


def _stale(name: str, latest: asyncpg.Record, base: int) -> ApiError:
    return ApiError(
        409,
        "stale_version",
        f"schema {name!r} is at version {latest['version']}, not {base}: "
        "reload it and apply your edit again",
        details={"latest_version": latest["version"], "latest_id": str(latest["id"])},
    )


async def insert(
    conn: asyncpg.Connection,
    *,
    account_id: UUID,
    project_id: UUID,
    name: str,
    version: int,
    parent_id: UUID | None,
    content: Content,
) -> asyncpg.Record:
    return await conn.fetchrow(
        Q.insert_schema_version,
        uuid4(),
        account_id,
        project_id,
        name,
        version,
        parent_id,
        content.definition,
        content.prompt_config,
        content.template_id,
        content.template_params,
    )


async def create(
    conn: asyncpg.Connection,
    *,
    account_id: UUID,
    project_id: UUID,
    name: str,
    content: Content,
    parent_id: UUID | None = None,
) -> asyncpg.Record:
    """Version 1 of a new schema name; 409 `schema_exists` when the name is taken."""
    conflict = ApiError(409, "schema_exists", f"schema {name!r} exists: add a version to it")
    if await conn.fetchval(Q.schema_name_exists, project_id, name, account_id):
        raise conflict
    try:
        async with conn.transaction():  # a savepoint: the caller's transaction survives
            return await insert(
                conn,
                account_id=account_id,
                project_id=project_id,
                name=name,
                version=1,
                parent_id=parent_id,
                content=content,
            )
    except asyncpg.UniqueViolationError:  # a concurrent create of the same name won
        raise conflict from None


def same_content(row: asyncpg.Record, content: Content) -> bool:
    return bool(
        row["definition"] == content.definition
        and row["prompt_config"] == content.prompt_config
        and row["template_id"] == content.template_id
        and (row["template_params"] or None) == (content.template_params or None)
    )


async def save(
    conn: asyncpg.Connection,
    *,
    account_id: UUID,
    schema_id: UUID,
    base_version: int,
    content: Content | None,
    definition: dict[str, Any] | None = None,
) -> tuple[asyncpg.Record, bool]:
    """(the version, created?). A base that is not the latest is 409 `stale_version` (with the
    latest); content identical to the latest creates nothing and answers the latest."""
    base = await conn.fetchrow(Q.get_schema, schema_id, account_id)
    if base is None:
        raise not_found("schema")
    latest = await conn.fetchrow(
        Q.latest_schema_version, base["project_id"], base["name"], account_id
    )
    if content is None:  # JSON given without prompt_config: keep the latest's
        content = validated(definition=definition, prompt_config=latest["prompt_config"])
    if latest["version"] != base_version:
        raise _stale(base["name"], latest, base_version)
    if same_content(latest, content):
        return latest, False
    try:
        async with conn.transaction():
            row = await insert(
                conn,
                account_id=account_id,
                project_id=base["project_id"],
                name=base["name"],
                version=latest["version"] + 1,
                parent_id=latest["id"],
                content=content,
            )
    except asyncpg.UniqueViolationError:
        raise _stale(base["name"], latest, base_version) from None
    return row, True


async def versions(
    conn: asyncpg.Connection | asyncpg.Pool, *, account_id: UUID, schema_id: UUID
) -> list[asyncpg.Record]:
    base = await conn.fetchrow(Q.get_schema, schema_id, account_id)
    if base is None:
        raise not_found("schema")
    return list(
        await conn.fetch(Q.list_schema_versions, base["project_id"], base["name"], account_id)
    )


async def version(
    conn: asyncpg.Connection | asyncpg.Pool, *, account_id: UUID, schema_id: UUID, number: int
) -> asyncpg.Record:
    base = await conn.fetchrow(Q.get_schema, schema_id, account_id)
    if base is None:
        raise not_found("schema")
    row = await conn.fetchrow(
        Q.schema_version_by_number, base["project_id"], base["name"], number, account_id
    )
    if row is None:
        raise not_found("schema version")
    return row

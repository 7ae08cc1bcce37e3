"""A schema version from a template and its parameters, inside the caller's unit of work: what
`POST /templates/{slug}/instantiate` and the `run.requested` command both do before a run."""

from typing import Any
from uuid import UUID

import asyncpg

from strata.gateway.domain import schema_versions
from strata.gateway.domain.template_params import Parameter
from strata.gateway.domain.template_use import content_for
from strata.gateway.sql import Q
from strata.gateway.web.errors import not_found
from strata.planning.schema_bounds import SchemaLimits


async def find_template(
    conn: asyncpg.Pool | asyncpg.Connection, account_id: UUID, slug: str
) -> asyncpg.Record:
    """A global template or the account's own; 404 `not_found` otherwise."""
    row = await conn.fetchrow(Q.template_by_slug, account_id, slug)
    if row is None:
        raise not_found("template")
    return row


def parameters_of(row: asyncpg.Record) -> list[Parameter]:
    return [Parameter.model_validate(p) for p in row["parameters"]]


async def save_from_template(
    conn: asyncpg.Connection,
    *,
    account_id: UUID,
    template: asyncpg.Record,
    project_id: UUID,
    name: str,
    parameters: dict[str, Any],
    base_version: int | None,
    limits: SchemaLimits,
) -> asyncpg.Record:
    """The saved version (remembering its template and parameters): a new schema, or with
    `base_version` a new version of the project's schema of that name (409 when stale). 422
    `invalid_parameters` for values the template refuses; 404 for a foreign project."""
    _, content, values = content_for(
        template["body"], parameters_of(template), parameters, limits=limits
    )
    content = schema_versions.Content(
        content.definition, content.prompt_config, template["id"], values
    )
    if await conn.fetchrow(Q.get_project, project_id, account_id) is None:
        raise not_found("project")
    if base_version is None:
        return await schema_versions.create(
            conn, account_id=account_id, project_id=project_id, name=name, content=content
        )
    existing = await conn.fetchrow(Q.latest_schema_version, project_id, name, account_id)
    if existing is None:
        raise not_found("schema")
    row, _ = await schema_versions.save(
        conn,
        account_id=account_id,
        schema_id=existing["id"],
        base_version=base_version,
        content=content,
        limits=limits,
    )
    return row

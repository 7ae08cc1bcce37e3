"""The template gallery: browse, render, instantiate (optionally straight into a run), save a
schema as one's own template; superusers manage the global templates."""

from typing import Annotated, Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from strata.gateway.api_models import Page, Run, RunCreate, RunUsage, Schema
from strata.gateway.api_models_schemas import (
    Instantiated,
    SaveAsTemplate,
    TemplateInstantiate,
    TemplateOut,
    TemplateRender,
    TemplateRendered,
)
from strata.gateway.domain import idempotency
from strata.gateway.domain.run_creation import create_run_in
from strata.gateway.domain.template_params import Parameter
from strata.gateway.domain.template_schemas import (
    find_template,
    parameters_of,
    save_from_template,
)
from strata.gateway.domain.template_use import check_doc, content_for, template_from_schema
from strata.gateway.domain.templates import TemplateDoc
from strata.gateway.routes.builder import check_content
from strata.gateway.routes.schemas import IdempotencyKey
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller, Superuser
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import ApiError, not_found

router = APIRouter(tags=["templates"])


def _out(row: asyncpg.Record) -> TemplateOut:
    scope = "global" if row["account_id"] is None else "account"
    return TemplateOut.model_validate({**dict(row), "scope": scope})


async def _template(res: Res, account_id: UUID, slug: str) -> asyncpg.Record:
    return await find_template(res.pool, account_id, slug)


async def run_in(conn: asyncpg.Connection, run_id: UUID, account_id: UUID) -> Run:
    """A run as its own (still open) transaction sees it."""
    row = await conn.fetchrow(Q.get_run, run_id, account_id)
    usage = RunUsage.model_validate(dict(await conn.fetchrow(Q.run_usage, run_id)))
    return Run.model_validate({**dict(row), "usage": usage})


def _params(row: asyncpg.Record) -> list[Parameter]:
    return parameters_of(row)


@router.get("/templates")
async def list_templates(
    caller: Caller, res: Res, category: Annotated[str | None, Query(max_length=100)] = None
) -> Page[TemplateOut]:
    rows = await res.pool.fetch(Q.list_templates, caller.id, category)
    return Page[TemplateOut](items=[_out(r) for r in rows])


@router.get("/templates/{slug}")
async def get_template(slug: str, caller: Caller, res: Res) -> TemplateOut:
    return _out(await _template(res, caller.id, slug))


@router.post("/templates/{slug}/render")
async def render_template(
    slug: str, body: TemplateRender, caller: Caller, res: Res
) -> TemplateRendered:
    """The schema these parameters make, checked, without saving anything."""
    row = await _template(res, caller.id, slug)
    spec, content, values = content_for(
        row["body"], _params(row), body.parameters, limits=res.settings.schema_limits
    )
    return TemplateRendered(
        builder=spec,
        values=values,
        definition=content.definition,
        prompt_config=content.prompt_config,
        check=await check_content(res, content.definition, content.prompt_config),
    )


@router.post("/templates/{slug}/instantiate", status_code=201, response_model=Instantiated)
async def instantiate(
    slug: str, body: TemplateInstantiate, caller: Caller, res: Res, key: IdempotencyKey = None
) -> JSONResponse:
    """A schema version from the template (remembering it and its parameters) and, with `run`,
    a run of it on the chosen documents: both commit together or not at all."""
    row = await _template(res, caller.id, slug)
    kwargs: dict[str, Any] = {"account_id": caller.id, "key": key}
    async with res.outbox.transaction() as uow:
        conn = uow.conn
        scope = f"POST /templates/{slug}/instantiate"
        request = body.model_dump(mode="json")
        if replay := await idempotency.claim(conn, scope=scope, body=request, **kwargs):
            return JSONResponse(replay.body, status_code=replay.status)
        schema_row = await save_from_template(
            conn,
            account_id=caller.id,
            template=row,
            project_id=body.project_id,
            name=body.name or slug,
            parameters=body.parameters,
            base_version=body.base_version,
            limits=res.settings.schema_limits,
        )
        run_id = None
        if body.run is not None:
            run_body = RunCreate(
                schema_id=schema_row["id"],
                document_ids=body.run.document_ids,
                policy_overrides=body.run.policy_overrides,
            )
            run_id = await create_run_in(
                uow,
                account_id=caller.id,
                body=run_body,
                max_active_runs=res.settings.max_active_runs,
            )
        answer: dict[str, Any] = {"schema": Schema.model_validate(dict(schema_row)), "run": None}
        if run_id is not None:
            answer["run"] = await run_in(conn, run_id, caller.id)
        out = Instantiated.model_validate(answer).model_dump(mode="json", by_alias=True)
        await idempotency.record(conn, status=201, body=out, **kwargs)
    return JSONResponse(out, status_code=201)


@router.post("/schemas/{schema_id}/template", status_code=201)
async def save_as_template(
    schema_id: UUID, body: SaveAsTemplate, caller: Caller, res: Res
) -> TemplateOut:
    """The account's own template from this version; the chosen parts become parameters whose
    defaults are the version's current values."""
    schema = await res.pool.fetchrow(Q.get_schema, schema_id, caller.id)
    if schema is None:
        raise not_found("schema")
    parameters, template_body = template_from_schema(
        schema["definition"], schema["prompt_config"], body.parameters
    )
    doc = TemplateDoc(
        slug=body.slug,
        name=body.name,
        category=body.category,
        description=body.description,
        example_output=body.example_output,
        parameters=parameters,
        body=template_body,
    )
    return await _insert(res, doc, account_id=caller.id)


async def _insert(res: Res, doc: TemplateDoc, *, account_id: UUID | None) -> TemplateOut:
    check_doc(doc, limits=res.settings.schema_limits)
    row = await res.pool.fetchrow(
        Q.insert_template,
        uuid4(),
        account_id,
        doc.slug,
        doc.name,
        doc.category,
        doc.description,
        doc.example_output,
        [p.model_dump(mode="json") for p in doc.parameters],
        doc.body,
        False,
    )
    if row is None:
        raise ApiError(409, "template_exists", f"a template {doc.slug!r} exists already")
    return _out(row)


@router.post("/templates", status_code=201)
async def create_own_template(body: TemplateDoc, caller: Caller, res: Res) -> TemplateOut:
    """An account's own template, written in the template format."""
    return await _insert(res, body, account_id=caller.id)


@router.delete("/templates/{slug}", status_code=204)
async def delete_own_template(slug: str, caller: Caller, res: Res) -> Response:
    if await res.pool.fetchval(Q.delete_template, caller.id, slug) is None:
        raise not_found("template")
    return Response(status_code=204)


@router.post("/admin/templates", status_code=201, responses={403: {"description": "superusers"}})
async def create_global_template(body: TemplateDoc, admin: Superuser, res: Res) -> TemplateOut:
    return await _insert(res, body, account_id=None)


@router.put("/admin/templates/{slug}", responses={403: {"description": "superusers"}})
async def replace_global_template(
    slug: str, body: TemplateDoc, admin: Superuser, res: Res
) -> TemplateOut:
    if body.slug != slug:
        raise ApiError(422, "invalid_template", "the slug in the body must match the path")
    check_doc(body, limits=res.settings.schema_limits)
    row = await res.pool.fetchrow(
        Q.update_template,
        None,
        slug,
        body.name,
        body.category,
        body.description,
        body.example_output,
        [p.model_dump(mode="json") for p in body.parameters],
        body.body,
    )
    if row is None:
        raise not_found("template")
    return _out(row)


@router.delete(
    "/admin/templates/{slug}", status_code=204, responses={403: {"description": "superusers"}}
)
async def delete_global_template(slug: str, admin: Superuser, res: Res) -> Response:
    if await res.pool.fetchval(Q.delete_template, None, slug) is None:
        raise not_found("template")
    return Response(status_code=204)

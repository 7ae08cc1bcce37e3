"""The template gallery → configure → preview → start, over the API's template, preview and run
route functions (so parameter rules and their messages are the API's own).

Configure is a plain form generated from the template's typed parameters; the API's
`422 invalid_parameters` details come back beside each field. Preview saves the configured
schema (a new version when the name exists) and runs it on the first blocks of a chosen
document; start runs it on chosen documents or the whole project, with an optional budget."""

import json
from collections import defaultdict
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from strata.contracts.documents import DocumentStatus
from strata.gateway.api_models import Document, RunCreate, RunEstimateOut, Schema
from strata.gateway.api_models_schemas import (
    Instantiated,
    PreviewRequest,
    TemplateInstantiate,
    TemplateOut,
    TemplateRender,
    TemplateRendered,
)
from strata.gateway.domain.run_creation import estimate
from strata.gateway.domain.template_params import Parameter
from strata.gateway.pages.common import FIXABLE, parse
from strata.gateway.pages.render import page, see_other
from strata.gateway.pages.review_values import columns
from strata.gateway.pages.session import Changing, PageSession, Session
from strata.gateway.routes import documents, evaluations, projects, schemas, templates
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import ApiError

router = APIRouter()
PREVIEW_BLOCKS = 3


def _number(text: str) -> Any:
    """Form text → a number when it reads as one; otherwise the text itself, so the API's own
    check answers "must be a number"."""
    text = text.strip()
    if not text:
        return ""
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text else number


def form_values(parameters: list[Parameter], form: FormData) -> dict[str, Any]:
    """What the form sent, typed as the API takes it (blank: the parameter's own rules apply)."""
    given: dict[str, Any] = {}
    for param in parameters:
        key = f"p.{param.name}"
        if param.type == "multitext":
            lines = str(form.get(key, "")).splitlines()
            given[param.name] = [line.strip() for line in lines if line.strip()]
        elif param.type == "range":
            low, high = str(form.get(f"{key}.min", "")), str(form.get(f"{key}.max", ""))
            both = low.strip() or high.strip()
            given[param.name] = {"min": _number(low), "max": _number(high)} if both else ""
        elif param.type == "number":
            given[param.name] = _number(str(form.get(key, "")))
        else:
            given[param.name] = str(form.get(key, ""))
    return given


def shown_values(parameters: list[Parameter], given: dict[str, Any] | None) -> dict[str, Any]:
    """What each input shows: the person's last input, else the default."""
    shown: dict[str, Any] = {}
    for param in parameters:
        value = param.default if given is None else given.get(param.name)
        if param.type == "multitext":
            shown[param.name] = "\n".join(map(str, value or []))
        elif param.type == "range":
            value = value if isinstance(value, dict) else {}
            shown[param.name] = {k: _show(value.get(k)) for k in ("min", "max")}
        else:
            shown[param.name] = _show(value)
    return shown


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


async def _ready_documents(project_id: UUID, session: PageSession, res: Res) -> list[Document]:
    listed = await documents.list_documents(
        project_id, session.account, res, res.settings.page_size_max
    )
    return [d for d in listed.items if d.status == DocumentStatus.READY]


@router.get("/projects/{project_id}/templates")
async def gallery(project_id: UUID, request: Request, session: Session, res: Res) -> Response:
    project = await projects.get_project(project_id, session.account, res)
    listed = await templates.list_templates(session.account, res, None)
    by_category: dict[str, list[TemplateOut]] = defaultdict(list)
    for item in listed.items:
        by_category[item.category].append(item)
    examples = {
        t.slug: json.dumps(t.example_output, indent=2, ensure_ascii=False) for t in listed.items
    }
    return await page(
        request,
        res,
        session,
        "gallery.html",
        project=project,
        categories=sorted(by_category.items()),
        examples=examples,
    )


async def _configure_page(
    request: Request,
    res: Res,
    session: PageSession,
    *,
    project_id: UUID,
    slug: str,
    given: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    problem: ApiError | None = None,
) -> Response:
    caller = session.account
    project = await projects.get_project(project_id, caller, res)
    template = await templates.get_template(slug, caller, res)
    errors: dict[str, str] = {}
    message = None
    if problem is not None:
        details = problem.details if isinstance(problem.details, list) else []
        errors = {d["parameter"]: d["message"] for d in details if isinstance(d, dict)}
        message = problem.message
    rendered: TemplateRendered | None = None
    if problem is None or problem.code != "invalid_parameters":
        try:  # what these values make: the fields and the check's verdict
            rendered = await templates.render_template(
                slug, TemplateRender(parameters=given or {}), caller, res
            )
        except ApiError as exc:
            if exc.status not in FIXABLE:
                raise
            message = message or exc.message
    return await page(
        request,
        res,
        session,
        "configure.html",
        status=problem.status if problem is not None else 200,
        project=project,
        template=template,
        values=shown_values(template.parameters, given),
        errors=errors,
        message=message,
        rendered=rendered,
        documents=await _ready_documents(project_id, session, res),
        form=form or {"name": slug, "document_id": "", "document_ids": [], "budget_usd": ""},
        preview_blocks=PREVIEW_BLOCKS,
        preview_max=res.settings.preview_max_blocks,
    )


@router.get("/projects/{project_id}/templates/{slug}")
async def configure(
    project_id: UUID, slug: str, request: Request, session: Session, res: Res
) -> Response:
    return await _configure_page(request, res, session, project_id=project_id, slug=slug)


async def _latest_named(project_id: UUID, name: str, session: PageSession, res: Res) -> int | None:
    listed = await schemas.list_schemas(
        project_id, session.account, res, res.settings.page_size_max
    )
    return next((s.version for s in listed.items if s.name == name), None)


def _instantiated(answer: Response) -> Instantiated:
    return Instantiated.model_validate_json(bytes(answer.body))


@router.post("/projects/{project_id}/templates/{slug}")
async def configure_post(
    project_id: UUID,
    slug: str,
    *,
    request: Request,
    session: Changing,
    res: Res,
    action: Annotated[Literal["check", "preview", "start"], Form()] = "check",
    name: Annotated[str, Form(max_length=1000)] = "",
    document_id: Annotated[str, Form(max_length=100)] = "",
    first_blocks: Annotated[str, Form(max_length=10)] = "",
    document_ids: Annotated[list[str] | None, Form()] = None,
    budget_usd: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    caller = session.account
    template = await templates.get_template(slug, caller, res)
    given = form_values(template.parameters, await request.form())
    name = name.strip() or slug
    form = {
        "name": name,
        "document_id": document_id,
        "document_ids": document_ids or [],
        "budget_usd": budget_usd,
        "first_blocks": first_blocks,
    }
    try:
        if action == "check":
            await templates.render_template(slug, TemplateRender(parameters=given), caller, res)
        elif action == "preview":
            return await _preview(
                request,
                res,
                session,
                project_id=project_id,
                template=template,
                given=given,
                form=form,
            )
        else:
            return await _start(
                res, session, project_id=project_id, slug=slug, given=given, form=form
            )
    except ApiError as exc:
        if exc.status not in FIXABLE:
            raise
        return await _configure_page(
            request,
            res,
            session,
            project_id=project_id,
            slug=slug,
            given=given,
            form=form,
            problem=exc,
        )
    return await _configure_page(
        request, res, session, project_id=project_id, slug=slug, given=given, form=form
    )


def _budget(text: str) -> dict[str, Any]:
    return {"budget_usd": text.strip()} if text.strip() else {}


async def _save(
    res: Res,
    session: PageSession,
    *,
    project_id: UUID,
    slug: str,
    given: dict[str, Any],
    name: str,
    run: dict[str, Any] | None = None,
) -> Instantiated:
    """The configured schema: version 1 of a new name, or the next version of an existing one."""
    body = parse(
        TemplateInstantiate,
        project_id=project_id,
        name=name,
        parameters=given,
        base_version=await _latest_named(project_id, name, session, res),
        run=run,
    )
    answer = await templates.instantiate(slug, body, session.account, res, None)
    return _instantiated(answer)


async def _start(
    res: Res,
    session: PageSession,
    *,
    project_id: UUID,
    slug: str,
    given: dict[str, Any],
    form: dict[str, Any],
) -> Response:
    chosen = form["document_ids"] or [
        str(d.id) for d in await _ready_documents(project_id, session, res)
    ]
    if not chosen:
        raise ApiError(422, "no_documents", "no document of this project is ready to run on")
    run = {"document_ids": chosen, "policy_overrides": _budget(form["budget_usd"])}
    made = await _save(
        res, session, project_id=project_id, slug=slug, given=given, name=form["name"], run=run
    )
    assert made.run is not None
    return see_other(f"/app/runs/{made.run.id}")


async def _preview(
    request: Request,
    res: Res,
    session: PageSession,
    *,
    project_id: UUID,
    template: TemplateOut,
    given: dict[str, Any],
    form: dict[str, Any],
) -> Response:
    caller = session.account
    # The parameters first (nothing saved when they are wrong), then the document.
    await templates.render_template(template.slug, TemplateRender(parameters=given), caller, res)
    preview_body = parse(
        PreviewRequest,
        document_id=form["document_id"] or None,
        first_blocks=form["first_blocks"].strip() or PREVIEW_BLOCKS,
    )
    await documents.get_document(preview_body.document_id, caller, res)
    made = await _save(
        res, session, project_id=project_id, slug=template.slug, given=given, name=form["name"]
    )
    schema: Schema = made.schema_
    shown = await evaluations.preview(schema.id, preview_body, caller, res)
    whole = RunCreate(schema_id=schema.id, project_id=project_id)
    planned, policy = await estimate(res, account_id=caller.id, body=whole)
    project_estimate = RunEstimateOut(**vars(planned), policy=policy.model_dump(mode="json"))
    return await page(
        request,
        res,
        session,
        "preview.html",
        project_id=project_id,
        template=template,
        schema=schema,
        preview=shown,
        fields=columns(schema.definition),
        project_estimate=project_estimate,
        documents=await _ready_documents(project_id, session, res),
        document_ids=form["document_ids"],
        budget=form["budget_usd"],
    )

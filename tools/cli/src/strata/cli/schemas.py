"""`strata templates` (the gallery: list, show, use) and `strata schemas` (preview on a few
blocks, the builder's fields of a version, save an edited builder spec as a new version)."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from strata.cli.api import session
from strata.cli.errors import CliError, Exit
from strata.cli.output import JsonOpt, emit_json, err, out, show

templates = typer.Typer(help="the template gallery (recipes)", no_args_is_help=True)
schemas = typer.Typer(help="schema versions: preview, builder fields, save", no_args_is_help=True)


def params(items: list[str]) -> dict[str, Any]:
    """`k=v` pairs; a value is JSON when it parses (numbers, lists, objects), else the text."""
    values: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise CliError(Exit.USAGE, "invalid_param", f"--param {item!r}: use key=value")
        try:
            values[key] = json.loads(raw)
        except ValueError:
            values[key] = raw
    return values


def _idempotency(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


@templates.command("list")
def templates_list(
    category: Annotated[str | None, typer.Option(help="one category")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The recipes you may use: built-ins, yours and shared ones."""
    with session() as api:
        rows = api.get("/templates", category=category)["items"]
    show(rows, as_json=as_json, columns=("slug", "name", "category", "description"))


@templates.command("show")
def templates_show(slug: str, as_json: JsonOpt = False) -> None:
    """One recipe with its parameters."""
    with session() as api:
        found = api.get(f"/templates/{slug}")
    if as_json:
        emit_json(found)
        return
    out.print(f"{found.get('slug')}: {found.get('name')} ({found.get('category')})", markup=False)
    if found.get("description"):
        out.print(found["description"], markup=False)
    for p in found.get("parameters") or []:
        about = p.get("label") or p.get("description") or ""
        out.print(f"  --param {p.get('name')}=<{p.get('type')}>  {about}", markup=False)


@templates.command("use")
def templates_use(
    slug: str,
    project: Annotated[str, typer.Argument(help="project id")],
    *,
    param: Annotated[
        list[str] | None, typer.Option(help="a template parameter key=value (repeat)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="the schema's name (default: the slug)")] = None,
    run_on: Annotated[
        list[str] | None, typer.Option(help="start a run on this document id too (repeat)")
    ] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="safe retries")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a schema from a recipe with its parameters (and, with --run-on, run it); prints
    the schema id (and the run id)."""
    body: dict[str, Any] = {"project_id": project, "parameters": params(param or [])}
    if name:
        body["name"] = name
    if run_on:
        body["run"] = {"document_ids": run_on}
    with session() as api:
        made = api.call(
            "POST",
            f"/templates/{slug}/instantiate",
            json=body,
            headers=_idempotency(idempotency_key),
        )
    if as_json:
        emit_json(made)
        return
    schema = made["schema"]
    err.print(f"schema {schema['name']} version {schema['version']}", markup=False)
    typer.echo(schema["id"])
    if made.get("run"):
        typer.echo(made["run"]["id"])


@schemas.command("preview")
def preview(
    schema_id: str,
    document_id: str,
    first: Annotated[int, typer.Option(min=1, help="the document's first N blocks")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Run the schema on a document's first blocks (billed) and show the answers, with the
    estimated cost of the whole document."""
    with session() as api:
        shown = api.post(
            f"/schemas/{schema_id}/preview", {"document_id": document_id, "first_blocks": first}
        )
    if as_json:
        emit_json(shown)
        return
    show(shown["blocks"], as_json=False, columns=("block_index", "status", "values", "error_code"))
    estimate = shown.get("full_run_estimate") or {}
    out.print(f"whole document estimated at ${estimate.get('cost_usd')}")


@schemas.command("fields")
def fields(schema_id: str, version: int, as_json: JsonOpt = False) -> None:
    """The builder spec of a version, as JSON (edit it, then `strata schemas save`). With
    --json, the whole answer (the spec under `builder`)."""
    with session() as api:
        found = api.get(f"/schemas/{schema_id}/versions/{version}/fields")
    emit_json(found if as_json else found["builder"])


def _builder(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
        return json.loads(text)
    except (OSError, ValueError) as exc:
        raise CliError(Exit.USAGE, "invalid_builder_file", f"{source}: {exc}") from None


@schemas.command("save")
def save(
    schema_id: str,
    builder: Annotated[str, typer.Option(help="builder spec file (JSON), or - for stdin")],
    base_version: Annotated[int, typer.Option(help="the version the edit started from")],
    idempotency_key: Annotated[str | None, typer.Option(help="safe retries")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Save a builder spec as the schema's next version; refused (exit 4) if someone saved
    after --base-version. Prints the new version's id."""
    spec = _builder(builder)
    if isinstance(spec, dict) and isinstance(spec.get("builder"), dict):
        spec = spec["builder"]  # the whole answer of `schemas fields --json`
    body = {"builder": spec, "base_version": base_version}
    with session() as api:
        saved = api.call(
            "POST",
            f"/schemas/{schema_id}/versions",
            json=body,
            headers=_idempotency(idempotency_key),
        )
    if as_json:
        emit_json(saved)
        return
    err.print(f"schema {saved.get('name')} version {saved.get('version')}", markup=False)
    typer.echo(saved["id"])

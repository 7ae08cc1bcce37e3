"""The main job: upload (and wait for conversion), run (or estimate), watch, status, export."""

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from strata.cli import watching
from strata.cli.api import Api, session
from strata.cli.errors import CliError, Exit
from strata.cli.output import JsonOpt, emit_json, err, out, show
from strata.cli.schemas import params

Timeout = Annotated[float, typer.Option(help="give up waiting after this many seconds")]


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CliError(Exit.USAGE, "no_such_file", f"{path}: no such file or folder")
    if not found:
        raise CliError(Exit.USAGE, "nothing_to_upload", "no files to upload")
    return found


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def upload(
    project: Annotated[str, typer.Argument(help="project id")],
    paths: Annotated[list[Path], typer.Argument(help="files or folders")],
    *,
    wait: Annotated[bool, typer.Option(help="wait until every document is converted")] = True,
    timeout: Timeout = 600.0,
    as_json: JsonOpt = False,
) -> None:
    """Upload files (folders recursively); by default wait for their conversion. Exits 1 when
    a document failed, naming the reason."""
    files = _files(paths)
    with session() as api, _bar() as bar:
        sending = bar.add_task("upload", total=len(files))
        docs: dict[str, tuple[Path, dict[str, Any]]] = {}
        for path in files:
            doc = api.upload(project, path)
            docs[doc["id"]] = (path, doc)
            bar.advance(sending)
        if wait:
            converting = bar.add_task("convert", total=len(docs))
            deadline = time.monotonic() + timeout
            pending = set(docs)
            while pending:
                for doc_id in sorted(pending):
                    doc = api.get(f"/documents/{doc_id}")
                    if doc["status"] in ("ready", "failed"):
                        docs[doc_id] = (docs[doc_id][0], doc)
                        pending.discard(doc_id)
                        bar.advance(converting)
                if pending and time.monotonic() > deadline:
                    raise CliError(Exit.TIMEOUT, "timeout", f"{len(pending)} still converting")
                if pending:
                    time.sleep(0.3)
    rows = [
        {
            "file": str(path),
            "id": doc["id"],
            "status": doc["status"],
            "blocks": doc.get("block_count"),
            "duplicate": doc.get("duplicate", False),
            "error": doc.get("error_message"),
        }
        for path, doc in docs.values()
    ]
    show(rows, as_json=as_json, columns=("file", "id", "status", "blocks", "error"))
    failed = [r for r in rows if r["status"] == "failed"]
    for row in failed:
        err.print(f"strata: {row['file']} failed: {row['error']}", markup=False)
    if failed:
        raise typer.Exit(int(Exit.FAILED))


def run(
    project: Annotated[str, typer.Argument(help="project id")],
    *,
    schema: Annotated[
        Path | None, typer.Option(help="schema file: {name, definition, prompt_config}")
    ] = None,
    schema_id: Annotated[
        str | None, typer.Option(help="a saved schema version's id (instead of --schema)")
    ] = None,
    document: Annotated[
        list[str] | None, typer.Option(help="a document id (repeat); default: all ready")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="print the estimate; create nothing")] = False,
    budget: Annotated[float | None, typer.Option(help="stop spending at this many USD")] = None,
    mode: Annotated[
        str | None,
        typer.Option(help="realtime, or deferred (Message Batches: half price, slower)"),
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option(help="policy override key=value (repeat)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a schema version (--schema-id), or the schema of a file, created as needed
    (--schema); with --dry-run, only estimate its cost."""
    if (schema is None) == (schema_id is None):
        raise CliError(Exit.USAGE, "invalid_schema", "give one of --schema and --schema-id")
    body: Any = None
    if schema is not None:
        try:
            body = json.loads(schema.read_text())
        except (OSError, ValueError) as exc:
            raise CliError(Exit.USAGE, "invalid_schema_file", f"{schema}: {exc}") from None
    overrides = params(param or [])
    if budget is not None:
        overrides["budget_usd"] = budget
    with session() as api:
        if schema_id is None:
            schema_id = _schema_id(api, project, body)
        target: dict[str, Any] = {"document_ids": document} if document else {"project_id": project}
        result = api.post(
            "/runs",
            {
                "schema_id": schema_id,
                **target,
                "policy_overrides": overrides,
                "dry_run": dry_run,
                **({"mode": mode} if mode is not None else {}),
            },
        )
    if as_json:
        emit_json(result)
    elif dry_run:
        for key in ("model", "blocks", "packs", "calls", "input_tokens", "output_tokens"):
            out.print(f"{key}: {result[key]}")
        out.print(f"estimated cost: ${result['cost_usd']} ({result.get('mode', 'realtime')})")
        if "deferred_cost_usd" in result:
            realtime, deferred = result["realtime_cost_usd"], result["deferred_cost_usd"]
            out.print(f"realtime: ${realtime}  deferred: ${deferred}")
    else:
        err.print(f"run {result['id']}: {result['total_blocks']} blocks, {result['status']}")
        typer.echo(result["id"])


def _same(stored: dict[str, Any], body: dict[str, Any]) -> bool:
    wanted = body.get("prompt_config") or {}
    given = stored.get("prompt_config") or {}
    return stored["definition"] == body.get("definition") and all(
        given.get(k) == v for k, v in wanted.items()
    )


def _schema_id(api: Api, project: str, body: dict[str, Any]) -> str:
    """The schema of the file: the project's latest version of that name when it is the
    same, else a new version of it, else a new schema."""
    if not isinstance(body, dict) or "name" not in body:
        raise CliError(Exit.USAGE, "invalid_schema_file", "the schema file needs a name")
    latest = {s["name"]: s for s in api.get(f"/projects/{project}/schemas")["items"]}
    found = latest.get(body["name"])
    if found is None:
        return str(api.post(f"/projects/{project}/schemas", body)["id"])
    if _same(found, body):
        return str(found["id"])
    edit = {k: v for k, v in body.items() if k in ("definition", "prompt_config")}
    edit["base_version"] = found["version"]
    version = api.post(f"/schemas/{found['id']}/versions", edit)
    return str(version["id"])


def status(run_id: str, as_json: JsonOpt = False) -> None:
    """A run: its status, counters, cost and todo list."""
    with session() as api:
        found = api.get(f"/runs/{run_id}")
    if as_json:
        emit_json(found)
        return
    usage = found.get("usage") or {}
    out.print(f"run {found['id']}: {found['status']} ({found.get('status_reason') or 'ok'})")
    out.print(
        f"blocks {found['completed_blocks']}+{found['failed_blocks']} failed"
        f" of {found['total_blocks']}; cost ${usage.get('cost_usd', 0)}"
    )
    for stage in found.get("stages") or []:
        out.print(watching.stage_line(stage), markup=False)


def export(
    run_id: Annotated[str | None, typer.Argument(help="the run (or use --project)")] = None,
    *,
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl, csv, xlsx or md")] = "jsonl",
    content: Annotated[str, typer.Option(help="confirmed, staged or merged")] = "confirmed",
    document: Annotated[str | None, typer.Option(help="only this document of the run")] = None,
    project: Annotated[
        str | None, typer.Option(help="a project's latest values instead of one run's")
    ] = None,
    schema: Annotated[
        str | None, typer.Option(help="with --project: the schema version's id")
    ] = None,
    timeout: Timeout = 300.0,
    as_json: JsonOpt = False,
) -> None:
    """Export a run's results (or, with --project and --schema, a project's: the latest value
    of every block across that schema's runs) and download the file. Exits 1 if it failed."""
    if (run_id is None) == (project is None):
        raise CliError(Exit.USAGE, "invalid_scope", "give a RUN or --project, not both")
    if project is not None and (schema is None or document is not None):
        raise CliError(Exit.USAGE, "invalid_scope", "--project needs --schema (and no --document)")
    if run_id is not None and schema is not None:
        raise CliError(Exit.USAGE, "invalid_scope", "--schema goes with --project")
    with session() as api:
        if project is not None:
            body = {"format": fmt, "content": content, "schema_id": schema}
            job = api.post(f"/projects/{project}/exports", body)
        else:
            body = {"format": fmt, "content": content, "document_id": document}
            job = api.post(f"/runs/{run_id}/exports", {k: v for k, v in body.items() if v})
        deadline = time.monotonic() + timeout
        while job["status"] == "pending":
            if time.monotonic() > deadline:
                raise CliError(Exit.TIMEOUT, "timeout", "the export is still being built")
            time.sleep(0.3)
            job = api.get(f"/exports/{job['id']}")
        if job["status"] != "ready":
            raise CliError(Exit.FAILED, "export_failed", job.get("error_message") or "failed")
        output.parent.mkdir(parents=True, exist_ok=True)
        size = api.download(f"/exports/{job['id']}/download", output)
    summary = {**job, "output": str(output), "bytes": size}
    if as_json:
        emit_json(summary)
    else:
        err.print(f"{job['row_count']} rows, {size} bytes written to {output}")


def register(app: typer.Typer) -> None:
    app.command()(upload)
    app.command("run")(run)
    app.command()(status)
    app.command()(watching.watch)
    app.command()(watching.events)
    app.command()(export)

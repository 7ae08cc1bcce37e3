"""`strata watch`: a run's live progress from its event stream (stages, blocks, cost, ETA); a
dropped connection resumes after the last event seen (Last-Event-ID), so nothing is missed."""

from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from strata.cli import sse
from strata.cli.api import api_error, session
from strata.cli.config import load
from strata.cli.errors import CliError, Exit
from strata.cli.output import JsonOpt, emit_json, err, show

MARKS = {"pending": " ", "in_progress": "~", "completed": "x", "failed": "!"}


def stage_line(stage: dict[str, Any]) -> str:
    extra = ""
    if stage.get("cost_usd") is not None:
        extra += f" ${float(stage['cost_usd']):.4f}"
    if stage.get("packs") is not None:
        extra += f" {stage['packs']} packs"
    if stage.get("failed"):
        extra += f" ({stage['failed']} failed)"
    return (
        f"[{MARKS.get(stage['status'], '?')}] {stage['name']:<8} "
        f"{stage['done']}/{stage['total']} {stage['status']}{extra}"
    )


class Bars:
    """One bar per stage, and the extraction's figures in its description."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def update(self, stages: list[dict[str, Any]], data: dict[str, Any] | None = None) -> None:
        for stage in stages:
            name = stage["name"]
            text = f"{MARKS.get(stage['status'], '?')} {name}"
            if name == "extract" and data is not None:
                if data.get("cost_usd") is not None:
                    text += f" ${float(data['cost_usd']):.4f}"
                if data.get("blocks_per_second"):
                    text += f" {data['blocks_per_second']:.0f}/s"
                if data.get("eta_s") is not None:
                    text += f" eta {data['eta_s']:.0f}s"
            total = max(int(stage["total"]), 1)
            if name not in self._tasks:
                self._tasks[name] = self._progress.add_task(text, total=total)
            self._progress.update(
                self._tasks[name], description=text, total=total, completed=stage["done"]
            )


def watch(
    run_id: str,
    retries: Annotated[int, typer.Option(help="reconnections in a row before giving up")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Follow a run until it completes (exit 0) or is cancelled (exit 1). With --json, one
    event per line."""
    login = load()
    client = httpx.Client(base_url=login.url, headers={"Authorization": f"Bearer {login.token}"})
    progress = Progress(
        TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), console=err
    )
    bars = Bars(progress)
    outcome = Exit.OK
    try:
        with progress if not as_json else _Quiet():
            for event in sse.follow(client, f"/v1/runs/{run_id}/events", retries=retries):
                body = event.json()
                if as_json:
                    emit_json(body)
                data = body.get("data", {})
                if data.get("stages"):
                    bars.update(data["stages"], data if event.event == "run.progress" else None)
                if event.event == "run.cancelled":
                    outcome = Exit.FAILED
                    break
    except httpx.HTTPStatusError as exc:
        raise api_error(exc.response) from None
    except httpx.TransportError:
        raise CliError(Exit.UNAVAILABLE, "unreachable", "the event stream kept failing") from None
    finally:
        client.close()
    if not as_json:
        err.print("run cancelled" if outcome else "run complete")
    raise typer.Exit(int(outcome))


class _Quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def events(
    project: Annotated[str | None, typer.Option(help="one project's events")] = None,
    run: Annotated[str | None, typer.Option(help="one run's events")] = None,
    after: Annotated[int, typer.Option(help="events with a greater id")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """A page of your events (the polling form of the event streams)."""
    with session() as api:
        page = api.get("/events", after=after, project_id=project, run_id=run, limit=limit)
    show(page["items"], as_json=as_json, columns=("id", "type", "run_id", "created_at"))

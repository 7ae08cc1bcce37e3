"""`strata webhooks`: subscriptions of a project, their deliveries, redelivery by hand."""

from typing import Annotated

import typer

from strata.cli.api import session
from strata.cli.output import JsonOpt, emit_json, err, show

app = typer.Typer(help="signed webhooks of a project", no_args_is_help=True)
COLUMNS = ("id", "url", "enabled", "disabled_reason", "event_types")


@app.command("add")
def add(
    project: str,
    url: str,
    event: Annotated[
        list[str] | None, typer.Option(help="an event type (repeat); default all")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe a URL; prints the signing secret, shown this once only."""
    with session() as api:
        created = api.post(f"/projects/{project}/webhooks", {"url": url, "event_types": event})
    if as_json:
        emit_json(created)
        return
    err.print(f"webhook {created['id']} -> {created['url']}; its signing secret (shown once):")
    typer.echo(created["secret"])


@app.command("list")
def list_(project: str, as_json: JsonOpt = False) -> None:
    """A project's subscriptions."""
    with session() as api:
        rows = api.get(f"/projects/{project}/webhooks")["items"]
    show(rows, as_json=as_json, columns=COLUMNS)


@app.command("enable")
def enable(webhook: str, as_json: JsonOpt = False) -> None:
    """Enable a subscription again (after it was disabled for failing)."""
    with session() as api:
        row = api.call("PATCH", f"/webhooks/{webhook}", json={"enabled": True})
    show(row, as_json=as_json, columns=COLUMNS)


@app.command("remove")
def remove(webhook: str, as_json: JsonOpt = False) -> None:
    """Delete a subscription and its deliveries."""
    with session() as api:
        api.call("DELETE", f"/webhooks/{webhook}")
    if as_json:
        emit_json({"deleted": webhook})


@app.command("deliveries")
def deliveries(
    webhook: str,
    status: Annotated[str | None, typer.Option(help="pending, delivered or failed")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A subscription's deliveries, newest first, with their attempts."""
    with session() as api:
        page = api.get(f"/webhooks/{webhook}/deliveries", status=status)
    columns = ("id", "event_type", "status", "attempt_count", "last_status_code", "last_error")
    show(page["items"], as_json=as_json, columns=columns)


@app.command("redeliver")
def redeliver(webhook: str, delivery: str, as_json: JsonOpt = False) -> None:
    """Send a delivery again now (same webhook-id)."""
    with session() as api:
        api.post(f"/webhooks/{webhook}/deliveries/{delivery}/redeliver")
    if as_json:
        emit_json({"redelivered": delivery})
    else:
        err.print(f"delivery {delivery} queued again")

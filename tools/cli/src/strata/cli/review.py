"""`strata review`: a run's review counters and queue, and bulk confirm/reject/reopen."""

from typing import Annotated

import typer

from strata.cli.api import session
from strata.cli.output import JsonOpt, emit_json, err, out, show

app = typer.Typer(help="review a run's extracted values", no_args_is_help=True)


@app.command("status")
def counters(run_id: str, as_json: JsonOpt = False) -> None:
    """The run's review counters."""
    with session() as api:
        review = api.get(f"/runs/{run_id}").get("review") or {}
    if as_json:
        emit_json(review)
        return
    for key in ("unreviewed", "confirmed", "edited", "rejected", "flagged"):
        out.print(f"{key}: {review.get(key)}")


@app.command("queue")
def queue(
    run_id: str,
    status: Annotated[str, typer.Option(help="unreviewed, confirmed, edited, rejected, any")] = (
        "unreviewed"
    ),
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The blocks to review, flagged first."""
    with session() as api:
        page = api.get(f"/runs/{run_id}/review-queue", review_status=status, limit=limit)
    show(page["items"], as_json=as_json, columns=("block_uid", "review_status", "flags", "staged"))


@app.command("bulk")
def bulk(
    run_id: str,
    action: Annotated[str, typer.Argument(help="confirm, reject or reopen")],
    document: Annotated[str | None, typer.Option(help="one document of the run")] = None,
    include_flagged: Annotated[bool, typer.Option(help="confirm flagged blocks too")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Confirm (or reject, reopen) every matching block of the run; safe to repeat."""
    body = {"action": action, "document_id": document, "include_flagged": include_flagged}
    with session() as api:
        result = api.post(f"/runs/{run_id}/review", {k: v for k, v in body.items() if v})
    if as_json:
        emit_json(result)
    else:
        left = result["skipped_flagged"]
        err.print(f"{action}: {result['changed']} blocks changed, {left} flagged left alone")

"""`strata review`: a run's review counters and queue, one block's edit/reject/confirm against
the revision you saw, and bulk confirm/reject/reopen."""

import json
from typing import Annotated, Any

import typer

from strata.cli.api import session
from strata.cli.errors import CliError, Exit
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


def _act(
    action: str,
    run_id: str,
    document_id: str,
    block_index: int,
    revision: int,
    *,
    values: str | None = None,
    reason: str | None = None,
    as_json: bool = False,
) -> None:
    body: dict[str, Any] = {"action": action, "revision": revision}
    if values is not None:
        try:
            body["values"] = json.loads(values)
        except ValueError as exc:
            raise CliError(Exit.USAGE, "invalid_values", f"--values: {exc}") from None
        if not isinstance(body["values"], dict):
            raise CliError(
                Exit.USAGE, "invalid_values", "--values: a JSON object, e.g. '{\"k\": 1}'"
            )
    if reason is not None:
        body["reason"] = reason
    path = f"/runs/{run_id}/overlays/{document_id}/{block_index}/review"
    with session() as api:
        result = api.post(path, body)
    if as_json:
        emit_json(result)
    else:
        err.print(
            f"block {block_index}: {result.get('review_status')}"
            f" (revision {result.get('revision')})",
            markup=False,
        )


Revision = Annotated[
    int, typer.Option(help="the revision you saw (from `review queue`); stale: refused")
]
Reason = Annotated[str | None, typer.Option(help="why, for the audit")]


@app.command("edit")
def edit(
    run_id: str,
    document_id: str,
    block_index: int,
    *,
    revision: Revision,
    values: Annotated[str, typer.Option(help="the corrected values, a JSON object")],
    reason: Reason = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct one block's values (they become its confirmed values)."""
    _act(
        "edit",
        run_id,
        document_id,
        block_index,
        revision,
        values=values,
        reason=reason,
        as_json=as_json,
    )


@app.command("reject")
def reject(
    run_id: str,
    document_id: str,
    block_index: int,
    *,
    revision: Revision,
    reason: Reason = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject one block's values."""
    _act("reject", run_id, document_id, block_index, revision, reason=reason, as_json=as_json)


@app.command("confirm")
def confirm(
    run_id: str,
    document_id: str,
    block_index: int,
    *,
    revision: Revision,
    reason: Reason = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirm one block's values as extracted."""
    _act("confirm", run_id, document_id, block_index, revision, reason=reason, as_json=as_json)

"""The review grid: a run's settled blocks as rows, its schema's fields as columns, the block's
text, page and section beside the values; confirm, edit, reject, reopen per block, bulk confirm
of the unflagged. Keyset pages of the API's review queue (flagged blocks first), so page one of
a 10,000-block run costs what page one of a 10-block run costs.

With htmx a row action swaps that row in place; without script each action posts and returns
to the same grid page. A stale revision (someone else acted first) shows their values."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from strata.gateway.api_models import BulkReviewRequest, ReviewItem, ReviewRequest
from strata.gateway.pages.common import attempt, parse, wants_fragment
from strata.gateway.pages.render import html, page, see_other
from strata.gateway.pages.review_values import columns, current_values, shown, typed
from strata.gateway.pages.session import Changing, PageSession, Session, flash, safe_next
from strata.gateway.routes import review, runs, schemas
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import ApiError

router = APIRouter()
PAGE_SIZE = 50
Filter = Literal["unreviewed", "confirmed", "edited", "rejected", "any"]
BLOCK = "/runs/{run_id}/review/{document_id}/{block_index}"


async def _definition(run_id: UUID, session: PageSession, res: Res) -> dict[str, Any]:
    run = await runs.get_run(run_id, session.account, res)
    return (await schemas.get_schema(run.schema_id, session.account, res)).definition


def _row(
    item: ReviewItem,
    *,
    definition: dict[str, Any],
    run_id: UUID,
    csrf: str,
    back: str,
    **state: Any,
) -> dict[str, Any]:
    """Everything `_review_row.html` needs for one block."""
    return {
        "item": item,
        "columns": columns(definition),
        "cells": {k: shown(v) for k, v in current_values(item).items()},
        "staged": {k: shown(v) for k, v in (item.staged or {}).items()},
        "flagged_fields": {f.split(":", 1)[1].split(".")[0] for f in item.flags if ":" in f},
        "run_id": run_id,
        "csrf": csrf,
        "back": back,
        "editing": False,
        "error": None,
        "conflict": None,
        **state,
    }


@router.get("/runs/{run_id}/review")
async def grid(
    run_id: UUID,
    *,
    request: Request,
    session: Session,
    res: Res,
    status: Filter = "unreviewed",
    flagged: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    caller = session.account
    run = await runs.get_run(run_id, caller, res)
    definition = (await schemas.get_schema(run.schema_id, caller, res)).definition
    queue = await review.get_review_queue(
        run_id, caller=caller, res=res, limit=PAGE_SIZE, cursor=cursor, review_status=status
    )
    items, next_cursor = queue.items, queue.next_cursor
    if flagged:  # the queue lists flagged blocks first: the first unflagged one ends the list
        items = [i for i in items if i.flags]
        next_cursor = next_cursor if len(items) == len(queue.items) else None
    back = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    rows = [
        _row(i, definition=definition, run_id=run_id, csrf=session.csrf, back=back) for i in items
    ]
    return await page(
        request,
        res,
        session,
        "review.html",
        run=run,
        rows=rows,
        fields=columns(definition),
        shown_status=status,
        flagged=flagged,
        next_cursor=next_cursor,
        first=cursor is None,
        back=back,
    )


async def _item(
    run_id: UUID, document_id: UUID, block_index: int, session: PageSession, res: Res
) -> ReviewItem:
    return await review.get_review_item(run_id, document_id, block_index, session.account, res)


@router.get(BLOCK)
async def row(
    run_id: UUID,
    document_id: UUID,
    block_index: int,
    *,
    session: Session,
    res: Res,
    edit: bool = False,
    back: str = "",
) -> Response:
    """One row, shown or in edit mode (htmx swaps it in; without script, a page of its own)."""
    item = await _item(run_id, document_id, block_index, session, res)
    context = _row(
        item,
        definition=await _definition(run_id, session, res),
        run_id=run_id,
        csrf=session.csrf,
        back=safe_next(back),
        editing=edit,
    )
    return html("_review_row.html", **context)


@router.get(f"{BLOCK}/edit")
async def edit_page(
    run_id: UUID,
    document_id: UUID,
    block_index: int,
    *,
    request: Request,
    session: Session,
    res: Res,
    back: str = "",
) -> Response:
    if wants_fragment(request):
        return await row(
            run_id, document_id, block_index, session=session, res=res, edit=True, back=back
        )
    item = await _item(run_id, document_id, block_index, session, res)
    context = _row(
        item,
        definition=await _definition(run_id, session, res),
        run_id=run_id,
        csrf=session.csrf,
        back=safe_next(back),
        editing=True,
    )
    return await page(request, res, session, "review_edit.html", **context)


@router.post(BLOCK)
async def act(
    run_id: UUID,
    document_id: UUID,
    block_index: int,
    *,
    request: Request,
    session: Changing,
    res: Res,
) -> Response:
    form = await request.form()
    back = safe_next(str(form.get("back") or f"/app/runs/{run_id}/review"))
    definition = await _definition(run_id, session, res)
    action = str(form.get("action", ""))
    values = {
        field: typed(definition, field, str(form.get(f"value.{field}", "")))
        for field in columns(definition)
        if f"value.{field}" in form
    }
    body = parse(
        ReviewRequest,
        action=action,
        revision=str(form.get("revision", "")),
        values=values if action == "edit" else None,
    )
    state: dict[str, Any] = {}
    try:
        item = await review.post_review(
            run_id, document_id, block_index, body=body, caller=session.account, res=res
        )
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        if exc.code == "stale_revision":
            item = ReviewItem.model_validate((exc.details or {})["current"])
            state = {"conflict": exc.message}
        else:
            item = await _item(run_id, document_id, block_index, session, res)
            state = {"error": exc.message, "editing": action == "edit"}
        if not wants_fragment(request):
            await flash(res, session, _plain(item, exc.message, state), kind="error")
            return see_other(back)
    if not wants_fragment(request):
        return see_other(back)
    return html(
        "_review_row.html",
        **_row(item, definition=definition, run_id=run_id, csrf=session.csrf, back=back, **state),
    )


def _plain(item: ReviewItem, message: str, state: dict[str, Any]) -> str:
    if "conflict" not in state:
        return f"Block {item.block_index} of {item.filename}: {message}"
    now = ", ".join(f"{k} = {shown(v)}" for k, v in current_values(item).items())
    return (
        f"Someone else changed block {item.block_index} of {item.filename} first "
        f"(now {item.review_status.value}): {now or 'no values'}. Review it again."
    )


@router.post("/runs/{run_id}/review")
async def bulk(
    run_id: UUID,
    session: Changing,
    res: Res,
    action: Annotated[Literal["confirm"], Query()] = "confirm",
    back: str = "",
) -> Response:
    target = safe_next(back or f"/app/runs/{run_id}/review")
    body = parse(BulkReviewRequest, action=action)
    done = await attempt(
        res, session, review.post_bulk_review(run_id, body, session.account, res), back=target
    )
    if isinstance(done, Response):
        return done
    left = f"; {done.skipped_flagged} flagged block(s) left for you" if done.skipped_flagged else ""
    await flash(res, session, f"Confirmed {done.changed} block(s){left}.")
    return see_other(target)

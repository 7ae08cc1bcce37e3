"""Previews: a schema version run on a sample (the first N blocks of a document, or chosen
blocks) as a small real run (`kind = 'preview'`: billed, counted in usage, kept out of project
exports), answered within the request with per-block values and the estimated cost of the
whole document."""

import asyncio
import time
from uuid import UUID

from strata.contracts.runs import RunStatus
from strata.gateway.api_models import RunCreate
from strata.gateway.domain.run_creation import RunShape, create_run, estimate
from strata.gateway.sql import Q
from strata.gateway.web.deps import Resources
from strata.gateway.web.errors import ApiError
from strata.planning.estimate import RunEstimate

POLL_EVERY_S = 0.2


def sample_indexes(*, first: int | None, chosen: list[int] | None, limit: int) -> list[int]:
    """The block indexes of the sample: 422 `preview_too_large` past the setting."""
    indexes = sorted(set(chosen)) if chosen else list(range(first or 5))
    if len(indexes) > limit:
        raise ApiError(
            422,
            "preview_too_large",
            f"a preview runs on at most {limit} blocks; asked for {len(indexes)}",
        )
    return indexes


async def start_preview(
    res: Resources, *, account_id: UUID, schema_id: UUID, document_id: UUID, indexes: list[int]
) -> tuple[UUID, RunEstimate]:
    body = RunCreate(schema_id=schema_id, document_ids=[document_id])
    full, _ = await estimate(res, account_id=account_id, body=body)
    shape = RunShape(kind="preview", blocks=[(document_id, i) for i in indexes])
    run_id = await create_run(res, account_id=account_id, body=body, shape=shape)
    return run_id, full


async def wait_settled(res: Resources, *, run_id: UUID, account_id: UUID, wait_s: float) -> bool:
    """True once every block of the run settled; False when `wait_s` passed first."""
    deadline = time.monotonic() + wait_s
    while True:
        row = await res.pool.fetchrow(Q.run_state, run_id, account_id)
        settled = row["completed_blocks"] + row["failed_blocks"] >= row["total_blocks"]
        if settled or row["status"] in (RunStatus.COMPLETE, RunStatus.CANCELLED):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_EVERY_S)

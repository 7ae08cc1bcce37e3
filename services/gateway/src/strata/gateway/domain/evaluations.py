"""Evaluations: run a schema version on the blocks of a reviewed run that a person confirmed
or edited, and score it — and the reviewed run's own staged answers — against those values.
Confirmed corrections so become the test set of the next schema version."""

from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from strata.contracts.blocks import make_block_uid
from strata.gateway.api_models import RunCreate
from strata.gateway.domain.run_creation import RunShape, create_run
from strata.gateway.domain.scoring import Key, accuracy
from strata.gateway.sql import Q
from strata.gateway.web.deps import Resources
from strata.gateway.web.errors import ApiError, not_found


async def start_evaluation(
    res: Resources, *, account_id: UUID, schema_id: UUID, reviewed_run_id: UUID
) -> UUID:
    reviewed = await res.pool.fetchrow(Q.run_state, reviewed_run_id, account_id)
    if reviewed is None:
        raise not_found("run")
    blocks = [
        (r["document_id"], r["block_index"])
        for r in await res.pool.fetch(Q.reviewed_blocks, reviewed_run_id, account_id)
    ]
    if not blocks:
        raise ApiError(
            409,
            "no_confirmed_blocks",
            "the run has no confirmed or edited blocks to evaluate against: review some first",
        )
    body = RunCreate(schema_id=schema_id, document_ids=sorted({d for d, _ in blocks}))
    shape = RunShape(kind="evaluation", blocks=blocks, baseline_run_id=reviewed_run_id)
    return await create_run(res, account_id=account_id, body=body, shape=shape)


def truth_of(row: asyncpg.Record) -> dict[str, Any] | None:
    """What a person settled on: the edited (or confirmed) values, else the staged ones they
    confirmed as they were."""
    if row["review_status"] not in ("confirmed", "edited"):
        return None
    return row["confirmed"] if row["confirmed"] is not None else row["staged"]


async def _cost_per_block(pool: asyncpg.Pool, run_id: UUID, keys: list[Key]) -> Decimal | None:
    if not keys:
        return None
    uids = [make_block_uid(d, i) for d, i in keys]
    shares = dict(await pool.fetch(Q.overlay_cost_shares, run_id, uids))
    return Decimal(sum(shares.values(), Decimal(0))) / len(keys)


async def report(res: Resources, *, account_id: UUID, run_id: UUID) -> dict[str, Any]:
    run = await res.pool.fetchrow(Q.run_state, run_id, account_id)
    if run is None or run["kind"] != "evaluation" or run["baseline_run_id"] is None:
        raise not_found("evaluation")
    baseline = await res.pool.fetch(Q.run_answers, run["baseline_run_id"], account_id)
    truth = {(r["document_id"], r["block_index"]): t for r in baseline if (t := truth_of(r))}
    old = {k: r["staged"] for r in baseline if (k := (r["document_id"], r["block_index"])) in truth}
    rows = await res.pool.fetch(Q.run_answers, run_id, account_id)
    new = {(r["document_id"], r["block_index"]): r["staged"] for r in rows}
    keys = sorted(truth, key=lambda k: (str(k[0]), k[1]))
    return {
        "run_id": run_id,
        "schema_id": run["schema_id"],
        "baseline_run_id": run["baseline_run_id"],
        "complete": run["status"] == "complete",
        "blocks": len(truth),
        "new": {
            **accuracy(truth, new),
            "cost_per_block_usd": await _cost_per_block(res.pool, run_id, keys),
        },
        "old": {
            **accuracy(truth, old),
            "cost_per_block_usd": await _cost_per_block(res.pool, run["baseline_run_id"], keys),
        },
    }

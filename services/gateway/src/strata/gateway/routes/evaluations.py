"""Trying a schema version before and after saving it: preview on a sample, compare two runs
over the same blocks, evaluate against confirmed data."""

from uuid import UUID

from fastapi import APIRouter

from strata.contracts.blocks import make_block_uid
from strata.gateway.api_models_schemas import (
    CompareOut,
    EvaluationCreate,
    EvaluationReport,
    PreviewBlock,
    PreviewOut,
    PreviewRequest,
)
from strata.gateway.domain.evaluations import report, start_evaluation
from strata.gateway.domain.previews import sample_indexes, start_preview, wait_settled
from strata.gateway.domain.scoring import compare
from strata.gateway.routes.runs import get_run
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import not_found

router = APIRouter(tags=["evaluations"])


@router.post("/schemas/{schema_id}/preview")
async def preview(schema_id: UUID, body: PreviewRequest, caller: Caller, res: Res) -> PreviewOut:
    """A small real run of this version on a sample (billed), answered when its blocks settle
    or the wait runs out, with the estimated cost of the whole document."""
    indexes = sample_indexes(
        first=body.first_blocks, chosen=body.block_indexes, limit=res.settings.preview_max_blocks
    )
    run_id, full = await start_preview(
        res,
        account_id=caller.id,
        schema_id=schema_id,
        document_id=body.document_id,
        indexes=indexes,
    )
    wait_s = res.settings.preview_wait_s if body.wait_s is None else body.wait_s
    complete = await wait_settled(res, run_id=run_id, account_id=caller.id, wait_s=wait_s)
    answers = await res.pool.fetch(Q.run_answers, run_id, caller.id)
    texts = {
        r["block_index"]: r
        for r in await res.pool.fetch(
            Q.preview_block_texts, body.document_id, [a["block_index"] for a in answers]
        )
    }
    blocks = [
        PreviewBlock(
            block_uid=make_block_uid(a["document_id"], a["block_index"]),
            block_index=a["block_index"],
            block_type=texts[a["block_index"]]["block_type"],
            text=texts[a["block_index"]]["text"][:300],
            status=a["status"],
            values=a["staged"],
            error_code=a["last_error_code"],
        )
        for a in answers
    ]
    return PreviewOut(
        run=await get_run(run_id, caller, res),
        complete=complete,
        blocks=blocks,
        full_run_estimate={**vars(full), "cost_usd": str(full.cost_usd)},
    )


@router.get("/runs/{run_id}/compare/{other_run_id}")
async def compare_runs(run_id: UUID, other_run_id: UUID, caller: Caller, res: Res) -> CompareOut:
    """Per field, the share of the blocks both runs answered whose values agree (strings and
    numbers normalised), and the blocks that differ."""
    answers = []
    for rid in (run_id, other_run_id):
        if not await res.pool.fetchval(Q.run_exists, rid, caller.id):
            raise not_found("run")
        rows = await res.pool.fetch(Q.run_answers, rid, caller.id)
        answers.append(
            {(r["document_id"], r["block_index"]): r["staged"] for r in rows if r["staged"]}
        )
    out = compare(answers[0], answers[1])
    for block in out["differing"]:
        document_id, block_index = block.pop("key")
        block["block_uid"] = make_block_uid(document_id, block_index)
    return CompareOut(left_run_id=run_id, right_run_id=other_run_id, **out)


@router.post("/evaluations", status_code=201)
async def create_evaluation(body: EvaluationCreate, caller: Caller, res: Res) -> EvaluationReport:
    """Run the version on the reviewed run's confirmed and edited blocks; poll GET for scores."""
    run_id = await start_evaluation(
        res, account_id=caller.id, schema_id=body.schema_id, reviewed_run_id=body.reviewed_run_id
    )
    return EvaluationReport.model_validate(await report(res, account_id=caller.id, run_id=run_id))


@router.get("/evaluations/{run_id}")
async def get_evaluation(run_id: UUID, caller: Caller, res: Res) -> EvaluationReport:
    """Per-field accuracy, overall accuracy and cost per block of the new version, beside the
    reviewed run's staged answers on the same blocks (`complete` once the run is)."""
    return EvaluationReport.model_validate(await report(res, account_id=caller.id, run_id=run_id))

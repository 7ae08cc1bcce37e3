"""Run lifecycle actions: `POST /v1/runs/{id}/cancel`, `/resume`, `/retry-failed`.

Each answers the run as it is right after the action, plus what the action changed. Counters
are recomputed by the rollup from the overlays a moment later (`GET /v1/runs/{id}`)."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from strata.gateway.api_models import ErrorBody, Run, RunAction
from strata.gateway.domain.run_control import ActionResult, cancel_run, resume_run, retry_failed
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import not_found

router = APIRouter(tags=["runs"])
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "the run's state does not allow it"}
}


async def _answer(res: Res, caller: Caller, run_id: UUID, result: ActionResult) -> RunAction:
    row = await res.pool.fetchrow(Q.get_run, run_id, caller.id)
    if row is None:
        raise not_found("run")
    return RunAction(
        run=Run.model_validate(dict(row)),
        overlays_changed=result.overlays_changed,
        packs_offered=result.packs_offered,
        replanned=result.replanned,
    )


@router.post("/runs/{run_id}/cancel", responses=_CONFLICT)
async def post_cancel(run_id: UUID, caller: Caller, res: Res) -> RunAction:
    """Stop the run: no new claims; pending and claimed blocks are released (`cancelled`);
    answers of calls in flight are discarded. Idempotent. 409 `run_complete`."""
    result = await cancel_run(res.outbox, run_id=run_id, account_id=caller.id)
    return await _answer(res, caller, run_id, result)


@router.post("/runs/{run_id}/resume", responses=_CONFLICT)
async def post_resume(run_id: UUID, caller: Caller, res: Res) -> RunAction:
    """Continue a cancelled run, or a run waiting for a provider key once one is added: its
    pending blocks are offered again. 409 `run_complete`."""
    result = await resume_run(res.outbox, run_id=run_id, account_id=caller.id)
    return await _answer(res, caller, run_id, result)


@router.post("/runs/{run_id}/retry-failed", responses=_CONFLICT)
async def post_retry_failed(run_id: UUID, caller: Caller, res: Res) -> RunAction:
    """Failed blocks only go back to pending (attempts reset) and are planned into new packs;
    the run is running again. 409 `no_failed_blocks`, `run_cancelled`."""
    result = await retry_failed(res.outbox, run_id=run_id, account_id=caller.id)
    return await _answer(res, caller, run_id, result)

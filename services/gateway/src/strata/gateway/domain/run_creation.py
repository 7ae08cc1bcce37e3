"""Creating a run: resolve its documents, freeze its policy and write the run — in one
transaction, so a run never exists half-made (or unannounced).

A standard run answers at once, whatever its size: the run row (status `planning`, its exact
block count), its documents and its budget commit with `run.plan-requested`, and the worker
writes its overlays, each born in its pack, in bounded chunks (`strata.worker.planning`), with
the cost model the dry run uses (`strata.planning`), so the plan a dry run shows is the plan
that runs. A preview or an evaluation covers a few chosen blocks and is planned here."""

from dataclasses import dataclass, replace
from uuid import UUID, uuid4

import asyncpg

from strata.contracts.documents import DocumentStatus
from strata.contracts.messages import PlanRequested
from strata.contracts.policy import PolicySnapshot, RunMode
from strata.contracts.schemas import PromptConfig
from strata.gateway.api_models import RunCreate
from strata.gateway.domain.policy import InvalidPolicyOverrideError, run_policy, with_mode
from strata.gateway.domain.schema_rules import PromptTooLargeError, check_prompt_fits
from strata.gateway.sql import Q
from strata.gateway.web.deps import Resources
from strata.gateway.web.errors import ApiError, not_found
from strata.planning.assignment import assign_packs
from strata.planning.estimate import EstimateBlock, RunEstimate, RunEstimator
from strata.planning.planner import PlannedBlock
from strata.planning.prompt import system_prompt
from strata.planning.tokens import estimate_tokens
from strata.runtime.outbox import UnitOfWork


async def _documents(
    conn: asyncpg.Connection, body: RunCreate, *, account_id: UUID, project_id: UUID
) -> list[UUID]:
    if body.project_id is not None:
        if body.project_id != project_id:
            raise not_found("project")  # the schema belongs to another (or nobody's) project
        return [
            r["id"] for r in await conn.fetch(Q.ready_project_documents, project_id, account_id)
        ]
    wanted = list(dict.fromkeys(body.document_ids or []))
    rows = await conn.fetch(Q.run_documents_status, wanted, account_id, project_id)
    found = {r["id"]: r["status"] for r in rows}
    missing = [str(d) for d in wanted if d not in found]
    if missing:
        raise ApiError(404, "not_found", f"document not found: {', '.join(missing)}")
    not_ready = [str(d) for d in wanted if found[d] != DocumentStatus.READY]
    if not_ready:
        raise ApiError(
            409, "document_not_ready", f"documents not ready yet: {', '.join(not_ready)}"
        )
    return wanted


@dataclass(frozen=True)
class PreparedRun:
    schema: asyncpg.Record
    project_id: UUID
    document_ids: list[UUID]
    policy: PolicySnapshot


async def _prepare(conn: asyncpg.Connection, *, account_id: UUID, body: RunCreate) -> PreparedRun:
    """Everything a run needs decided before anything is written: schema, documents, policy."""
    schema = await conn.fetchrow(Q.get_schema, body.schema_id, account_id)
    if schema is None:
        raise not_found("schema")
    project_id = schema["project_id"]
    document_ids = await _documents(conn, body, account_id=account_id, project_id=project_id)
    try:
        policy = run_policy(
            admin_settings=await conn.fetchval(Q.policy_settings),
            prompt_config=PromptConfig.model_validate(schema["prompt_config"]),
            overrides=body.policy_overrides,
        )
    except InvalidPolicyOverrideError as exc:
        raise ApiError(422, "invalid_policy_override", str(exc)) from None
    try:
        # The schema fitted the admin policy when it was saved; this run's may be smaller.
        check_prompt_fits(
            schema["definition"], PromptConfig.model_validate(schema["prompt_config"]), policy
        )
    except PromptTooLargeError as exc:
        raise ApiError(422, "prompt_too_large", str(exc)) from None
    return PreparedRun(schema, project_id, document_ids, policy)


@dataclass(frozen=True)
class RunShape:
    """What sets a preview or an evaluation apart from a standard run: its kind, the blocks it
    covers (None: every block of its documents) and the reviewed run it is measured against."""

    kind: str = "standard"
    blocks: list[tuple[UUID, int]] | None = None
    baseline_run_id: UUID | None = None


async def create_run(
    res: Resources, *, account_id: UUID, body: RunCreate, shape: RunShape | None = None
) -> UUID:
    async with res.outbox.transaction() as uow:
        return await create_run_in(
            uow,
            account_id=account_id,
            body=body,
            shape=shape,
            max_active_runs=res.settings.max_active_runs,
        )


async def create_run_in(
    uow: UnitOfWork,
    *,
    account_id: UUID,
    body: RunCreate,
    max_active_runs: int,
    shape: RunShape | None = None,
) -> UUID:
    """The run, inside the caller's unit of work (so a schema made in the same call commits
    with it, or not at all)."""
    shape = shape or RunShape()
    run_id = uuid4()
    conn = uow.conn
    run = await _prepare(conn, account_id=account_id, body=body)
    await _check_active_runs(conn, account_id, limit=max_active_runs)
    if shape.kind == "standard" and shape.blocks is None:
        await _create_planning(uow, run_id, account_id=account_id, run=run, mode=body.mode)
    else:
        await _create_planned(
            uow, run_id, account_id=account_id, run=run, shape=shape, mode=body.mode
        )
    return run_id


async def _create_planning(
    uow: UnitOfWork, run_id: UUID, *, account_id: UUID, run: PreparedRun, mode: RunMode | None
) -> None:
    """A standard run answers at once: its row, documents, budget and exact block count are
    written, and `run.plan-requested` has the worker write its overlays and packs in bounded
    chunks (the run is `planning` until the last chunk is written)."""
    conn = uow.conn
    total = await conn.fetchval(Q.count_run_blocks, run.document_ids)
    if not total:
        raise ApiError(409, "no_blocks", "the selected documents have no blocks to extract from")
    run = replace(run, policy=with_mode(run.policy, mode, total))
    await conn.execute(
        Q.insert_run,
        run_id,
        account_id,
        run.project_id,
        run.schema["id"],
        run.policy.model_dump(mode="json"),
        total,
    )
    await _write_run_documents(conn, run_id, run)
    uow.emit(PlanRequested(run_id=run_id))


async def _create_planned(
    uow: UnitOfWork,
    run_id: UUID,
    *,
    account_id: UUID,
    run: PreparedRun,
    shape: RunShape,
    mode: RunMode | None,
) -> None:
    """A preview or an evaluation covers a few chosen blocks: planned here, in the request."""
    conn = uow.conn
    rows = (
        await conn.fetch(Q.blocks_to_plan, run.document_ids)
        if shape.blocks is None
        else await conn.fetch(
            Q.chosen_blocks_to_plan, [b[0] for b in shape.blocks], [b[1] for b in shape.blocks]
        )
    )
    blocks = [PlannedBlock((r["document_id"], r["block_index"]), r["token_estimate"]) for r in rows]
    if not blocks:
        # Raising inside the unit of work rolls the run back: no empty run is left behind.
        raise ApiError(409, "no_blocks", "the selected documents have no blocks to extract from")
    # Previews and evaluations answer someone waiting: never deferred.
    chosen = mode if shape.kind == "standard" else RunMode.REALTIME
    run = replace(run, policy=with_mode(run.policy, chosen, len(blocks)))
    await conn.execute(
        Q.insert_run_of_kind,
        run_id,
        account_id,
        run.project_id,
        run.schema["id"],
        run.policy.model_dump(mode="json"),
        shape.kind,
        shape.baseline_run_id,
    )
    await _write_run_documents(conn, run_id, run)
    packs = assign_packs(
        blocks,
        run_id=run_id,
        policy=run.policy,
        fixed_prompt_tokens=_system_tokens(run.schema, run.policy),
    )
    await conn.execute(
        Q.insert_overlays, run_id, packs.document_ids, packs.block_indexes, packs.pack_ids
    )
    await conn.execute(Q.set_run_total, run_id, len(blocks))
    for ready in packs.messages:
        uow.emit(ready)


async def _write_run_documents(conn: asyncpg.Connection, run_id: UUID, run: PreparedRun) -> None:
    await conn.execute(Q.insert_run_documents, run_id, run.document_ids)
    if run.policy.budget_usd is not None:
        await conn.execute(Q.insert_run_budget, run_id, run.policy.budget_usd)


async def _check_active_runs(conn: asyncpg.Connection, account_id: UUID, *, limit: int) -> None:
    """The quota on runs that may still call the model (GATEWAY_MAX_ACTIVE_RUNS), so one
    account cannot fill every worker's queue; the count is taken under a per-account lock held
    until this transaction ends, so concurrent creations cannot both pass."""
    if limit <= 0:
        return
    await conn.execute(Q.lock_active_runs, str(account_id))
    active = await conn.fetchval(Q.count_active_runs, account_id)
    if active >= limit:
        raise ApiError(
            409,
            "too_many_active_runs",
            f"the account has {active} pending or running runs (at most {limit}); "
            "wait for one to finish or cancel one",
        )


def _system_tokens(schema: asyncpg.Record, policy: PolicySnapshot) -> int:
    # The same prompt the worker sends and the dry run prices, so all three plan alike.
    config = PromptConfig.model_validate(schema["prompt_config"])
    return estimate_tokens(
        system_prompt(
            schema["definition"], config, sparse=policy.sparse_answers, rows=policy.row_answers
        )
    )


async def estimate(
    res: Resources, *, account_id: UUID, body: RunCreate
) -> tuple[RunEstimate, PolicySnapshot]:
    """The dry run: the packs, calls, tokens and cost the run would have under the effective
    policy, computed with the worker's own planner, prompt and prices. Writes nothing. The
    blocks stream through a server-side cursor a chunk at a time (bounded memory at any size)."""
    async with res.pool.acquire() as conn, conn.transaction():
        run = await _prepare(conn, account_id=account_id, body=body)
        total = await conn.fetchval(Q.count_run_blocks, run.document_ids)
        policy = with_mode(run.policy, body.mode, total or 0)
        estimator = RunEstimator(
            definition=run.schema["definition"],
            prompt_config=PromptConfig.model_validate(run.schema["prompt_config"]),
            policy=policy,
        )
        cursor = await conn.cursor(Q.blocks_for_estimate, run.document_ids)
        while rows := await cursor.fetch(_ESTIMATE_CHUNK):
            estimator.add(
                [EstimateBlock((r["document_id"], r["block_index"]), r["text"]) for r in rows]
            )
    planned = estimator.finish()
    if not planned.blocks:
        raise ApiError(409, "no_blocks", "the selected documents have no blocks to extract from")
    return planned, policy


# Blocks a dry run holds at once.
_ESTIMATE_CHUNK = 5000

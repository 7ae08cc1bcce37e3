"""The run's todo list from what the recount found (pure: facts in, stages out).

Times come from the data where the data has them (documents, llm_calls, exports, the run row),
so a finished run shows when each stage really ran; where it has none (review), a stage's times
are those of the recount that first saw it start or end, carried over from `previous`."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from strata.contracts.messages import RunCounters
from strata.contracts.runs import RunStatus
from strata.contracts.stages import Stage, StageName, StageStatus


@dataclass(frozen=True)
class StageFacts:
    """Everything the todo list is made of, read in the recount's transaction."""

    run_status: RunStatus
    created_at: datetime
    completed_at: datetime | None
    documents: int
    converted: int
    conversion_failed: int
    documents_from: datetime | None
    documents_until: datetime | None
    planned_blocks: int
    packs: int | None  # None: not counted by this recount (the previous count stands)
    first_call_at: datetime | None
    cost_usd: Decimal
    reviewed: int
    exports: int
    exports_ready: int
    exports_failed: int
    first_export_at: datetime | None
    last_export_at: datetime | None
    planned_at: datetime | None = None  # when background planning wrote the last overlay


def _status(*, done: int, total: int, failed: int, started: bool) -> StageStatus:
    if total > 0 and failed >= total:
        return StageStatus.FAILED
    if total > 0 and done + failed >= total:
        return StageStatus.COMPLETED
    return StageStatus.IN_PROGRESS if started or done or failed else StageStatus.PENDING


def _stage(
    name: StageName,
    status: StageStatus,
    *,
    done: int,
    total: int,
    previous: Stage | None,
    now: datetime,
    failed: int = 0,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    **extra: object,
) -> Stage:
    """Times from the facts when given, else from the previous recount, else now."""
    before = previous.started_at if previous else None
    start = None if status is StageStatus.PENDING else (started_at or before or now)
    finished = status in (StageStatus.COMPLETED, StageStatus.FAILED)
    kept_end = previous.ended_at if previous and previous.status == status else None
    end = (ended_at or kept_end or now) if finished else None
    return Stage.model_validate(
        {
            "name": name,
            "status": status,
            "done": done,
            "total": total,
            "failed": failed,
            "started_at": start,
            "ended_at": end,
            **extra,
        }
    )


def todo_list(
    *, facts: StageFacts, counters: RunCounters, previous: list[Stage], now: datetime
) -> list[Stage]:
    before = {stage.name: stage for stage in previous}
    total = counters.total_blocks
    settled = counters.completed_blocks + counters.failed_blocks
    cancelled = facts.run_status is RunStatus.CANCELLED

    convert_status = _status(
        done=facts.converted,
        total=facts.documents,
        failed=facts.conversion_failed,
        started=True,
    )
    plan_status = _status(done=facts.planned_blocks, total=total, failed=0, started=True)

    extract_status = _status(
        done=counters.completed_blocks,
        total=total,
        failed=counters.failed_blocks,
        started=facts.first_call_at is not None or counters.claimed_blocks > 0,
    )
    if facts.run_status is RunStatus.COMPLETE and extract_status is not StageStatus.FAILED:
        extract_status = StageStatus.COMPLETED  # a run of zero blocks is complete too
    elif cancelled and extract_status is not StageStatus.COMPLETED:
        extract_status = StageStatus.FAILED  # stopped before the end: the stage did not finish

    # Review is optional: it starts with the first reviewed block and ends when every
    # extracted block has been looked at, once extraction itself is over.
    review_total = counters.completed_blocks
    review_status = (
        StageStatus.PENDING
        if facts.reviewed == 0
        else StageStatus.COMPLETED
        if facts.reviewed >= review_total and extract_status is StageStatus.COMPLETED
        else StageStatus.IN_PROGRESS
    )

    building = facts.exports - facts.exports_ready - facts.exports_failed
    export_status = (
        StageStatus.PENDING
        if facts.exports == 0
        else StageStatus.IN_PROGRESS
        if building > 0
        else StageStatus.COMPLETED
        if facts.exports_ready > 0
        else StageStatus.FAILED
    )

    return [
        _stage(
            StageName.CONVERT,
            convert_status,
            done=facts.converted,
            total=facts.documents,
            failed=facts.conversion_failed,
            previous=before.get(StageName.CONVERT),
            now=now,
            started_at=facts.documents_from,
            ended_at=facts.documents_until,
        ),
        _stage(
            StageName.PLAN,
            plan_status,
            done=facts.planned_blocks,
            total=total,
            previous=before.get(StageName.PLAN),
            now=now,
            started_at=facts.created_at,
            # Planned in the background until planned_at, unless a later recount saw it re-plan.
            ended_at=facts.planned_at if StageName.PLAN not in before else None,
            packs=facts.packs if facts.packs is not None else _previous_packs(before),
        ),
        _stage(
            StageName.EXTRACT,
            extract_status,
            done=settled,
            total=total,
            failed=counters.failed_blocks,
            previous=before.get(StageName.EXTRACT),
            now=now,
            started_at=facts.first_call_at,
            ended_at=facts.completed_at,
            cost_usd=facts.cost_usd,
        ),
        _stage(
            StageName.REVIEW,
            review_status,
            done=facts.reviewed,
            total=review_total,
            previous=before.get(StageName.REVIEW),
            now=now,
        ),
        _stage(
            StageName.EXPORT,
            export_status,
            done=facts.exports_ready,
            total=facts.exports,
            failed=facts.exports_failed,
            previous=before.get(StageName.EXPORT),
            now=now,
            started_at=facts.first_export_at,
            ended_at=facts.last_export_at,
        ),
    ]


def changed(previous: list[Stage], current: list[Stage]) -> bool:
    """Whether a stage started, ended or changed status (counts alone are progress, not news)."""
    return [s.status for s in previous] != [s.status for s in current]


def rate_and_eta(
    *, counters: RunCounters, first_call_at: datetime | None, now: datetime
) -> tuple[float | None, float | None]:
    """Blocks settled per second since the first model call, and the seconds left at that rate."""
    settled = counters.completed_blocks + counters.failed_blocks
    if first_call_at is None or settled == 0:
        return None, None
    elapsed = (now - first_call_at).total_seconds()
    if elapsed <= 0:
        return None, None
    rate = settled / elapsed
    left = counters.pending_blocks + counters.claimed_blocks
    return round(rate, 3), round(left / rate, 1)


def _previous_packs(before: dict[StageName, Stage]) -> int | None:
    plan = before.get(StageName.PLAN)
    return None if plan is None else plan.packs

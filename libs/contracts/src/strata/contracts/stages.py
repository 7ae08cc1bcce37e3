"""The run's todo list: the stages a run goes through, each with a status, times and counts.

Stored with the run (`runs.stages`, written by the rollup's recount), returned by
`GET /v1/runs/{id}` and carried by `run.progress` / `run.stages` events."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class StageName(StrEnum):
    CONVERT = "convert"  # the run's documents converted into blocks: done = converted documents
    PLAN = "plan"  # blocks planned into packs: done = planned blocks, packs = packs
    EXTRACT = "extract"  # blocks settled by the model: done = completed + failed blocks
    REVIEW = "review"  # completed blocks a person confirmed, edited or rejected
    EXPORT = "export"  # the run's results written out: done = ready exports


class StageStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


STAGE_ORDER = tuple(StageName)


class Stage(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: StageName
    status: StageStatus
    done: int
    total: int
    failed: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    # Only on `extract`: what the model calls cost so far; only on `plan`: packs planned.
    cost_usd: Decimal | None = None
    packs: int | None = None

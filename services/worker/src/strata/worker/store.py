"""The worker's data-access seam: what the planner, the pack runner and the key resolver read and
write, as protocols over plain values. `pg_store` implements them on Postgres (each write commits
with the messages it causes, through the outbox); unit tests use an in-memory store."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from strata.contracts.messages import PackReady, RecountRequested
from strata.contracts.overlays import OverlayStatus
from strata.planning.assignment import PackAssignment
from strata.planning.planner import PlannedBlock
from strata.worker.outcomes import ClaimedBlock, Decision


@dataclass(frozen=True)
class RunInputs:
    """A run's frozen inputs as stored: its policy snapshot and its schema version."""

    account_id: UUID
    policy: dict[str, Any]
    definition: dict[str, Any]
    prompt_config: dict[str, Any]


@dataclass(frozen=True)
class LlmCall:
    """One model call as billed, successful or not."""

    model: str
    block_uids: list[str]
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cost_usd: Decimal
    latency_ms: int
    stop_reason: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    cache_miss_reason: str | None = None  # the provider's word on an unreused cache prefix
    structured_output: bool = False  # answered under a JSON Schema (`output_config.format`)
    service_tier: str = "standard"  # "batch": a Message Batch request (deferred run)
    answer_form: str = "full"  # how the prompt asked for each block's answer (AnswerForm)


@dataclass(frozen=True)
class Settlement:
    """Everything one pack's turn changes, written in one transaction."""

    pack: PackReady  # the offer whose claims are settled
    worker_id: str  # only claims this worker still holds are settled
    decision: Decision
    call: LlmCall | None = None  # None: no call was made (no key, budget exhausted)
    reserved: Decimal | None = None  # the budget reservation to swap for the call's cost
    # (trace id, span id) of the pack span, stored on each overlay: block uid → its trace.
    trace: tuple[str, str] | None = None


@dataclass(frozen=True)
class SettledOverlay:
    status: OverlayStatus
    pack_id: UUID


@dataclass(frozen=True)
class PlanningChunk:
    """What one planning step of a run finds under the run's lock, in claim order: pending
    overlays in no pack (after a cancel or a retry-failed), else — while the run is `planning` —
    the blocks after its last overlay. Each list holds at most `limit + 1` entries: the one past
    the limit only says that more remain."""

    status: str
    unpacked: list[PlannedBlock]
    fresh: list[PlannedBlock]


@dataclass(frozen=True)
class PlanningWrite:
    """What one planning step writes, in the same transaction: the packs (new overlays when
    `fresh`, else pack ids for unpacked overlays) with their pack.ready, another
    run.plan-requested when `more` work remains, and the end of `planning` when `finished`."""

    packs: PackAssignment
    fresh: bool
    more: bool
    finished: bool


# Decides a planning step from what was found; called under the run's planning lock.
PlanningStep = Callable[[PlanningChunk], PlanningWrite | None]


class PackStore(Protocol):
    async def run_inputs(self, run_id: UUID) -> RunInputs | None: ...

    async def claim(
        self, *, run_id: UUID, pack_id: UUID, worker_id: str, lease_seconds: float
    ) -> list[ClaimedBlock]:
        """Lease the pack's pending overlays of a live run, in block order."""

    async def renew_lease(
        self, *, run_id: UUID, pack_id: UUID, worker_id: str, lease_seconds: float
    ) -> None: ...

    async def reserve_budget(self, run_id: UUID, amount: Decimal) -> bool:
        """Reserve a call's worst case; False when the run's budget has no room for it."""

    async def settle(self, settlement: Settlement) -> int:
        """Write the outcomes of claims still ours, the call and the budget, and emit the
        follow-up packs and the overlays.settled notice. Returns how many claims were ours."""

    async def plan_step(
        self, run_id: UUID, step: PlanningStep, *, limit: int, request_more: bool = True
    ) -> PlanningWrite | None:
        """In one transaction under a lock on the run row of a live run: find the next chunk
        (`PlanningChunk`, at most `limit + 1` blocks), let `step` decide, and write what it
        returns with its messages (the next run.plan-requested only when `request_more`).
        None when the run is not live or `step` had nothing to do."""


@dataclass(frozen=True)
class ProviderKey:
    id: UUID
    provider: str
    base_url: str | None
    secret_sealed: bytes
    master_key_id: str
    status: str


class KeyStore(Protocol):
    async def account_keys(self, account_id: UUID) -> list[ProviderKey]:
        """An account's keys, preferred first (usable, validated, Anthropic, newest)."""

    async def mark_key_rejected(self, key_id: UUID) -> bool:
        """Mark the key invalid; False when it already was."""


def announcements(
    pack: PackReady, decision: Decision, settled: list[SettledOverlay]
) -> tuple[list[PackReady], RecountRequested | None]:
    """What a settle emits, from the rows it actually settled: one pack.ready per new pack that
    holds pending blocks, and the overlays.settled notice when anything was settled."""
    pending_by_pack: dict[UUID, int] = {}
    for row in settled:
        if row.status is OverlayStatus.PENDING and row.pack_id in decision.new_packs:
            pending_by_pack[row.pack_id] = pending_by_pack.get(row.pack_id, 0) + 1
    follow_ups = [
        PackReady(
            run_id=pack.run_id, pack_id=pack_id, block_count=count, split_depth=pack.split_depth + 1
        )
        for pack_id, count in pending_by_pack.items()
    ]
    if not settled:
        return follow_ups, None
    statuses = [row.status for row in settled]
    notice = RecountRequested(
        run_id=pack.run_id,
        completed=statuses.count(OverlayStatus.AI_COMPLETE),
        failed=statuses.count(OverlayStatus.FAILED),
        released=statuses.count(OverlayStatus.PENDING),
    )
    return follow_ups, notice

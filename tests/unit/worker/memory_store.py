"""The worker's PackStore in memory, for unit tests of the planner and the runner.

It does what `queries.sql` does for what those tests rely on: a claim takes the pack's pending
overlays of a live run in block order; a settle writes only claims the settling worker still
holds (COALESCE for staged values and pack ids, attempts added); a reservation succeeds only
within the run's budget; planning takes only pending overlays in no pack of a live run. What a
settle emits comes from the same `announcements` the Postgres store uses.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from strata.contracts.messages import PackReady, RecountRequested
from strata.contracts.overlays import OverlayStatus
from strata.contracts.policy import PolicySnapshot
from strata.planning.planner import PlannedBlock
from strata.planning.tokens import estimate_tokens
from strata.worker.outcomes import ClaimedBlock
from strata.worker.store import (
    LlmCall,
    PlanningChunk,
    PlanningStep,
    PlanningWrite,
    RunInputs,
    SettledOverlay,
    Settlement,
    announcements,
)

_LIVE_RUN = ("planning", "pending", "running")


@dataclass
class Overlay:
    document_id: UUID
    block_index: int
    text: str
    status: OverlayStatus = OverlayStatus.PENDING
    pack_id: UUID | None = None
    attempt_count: int = 0
    claimed_by: str | None = None
    staged: dict[str, Any] | None = None
    error_code: str | None = None
    flags: tuple[str, ...] = ()


@dataclass
class Run:
    inputs: RunInputs
    status: str = "running"
    overlays: list[Overlay] = field(default_factory=list)
    budget_usd: Decimal | None = None
    reserved_usd: Decimal = Decimal(0)
    spent_usd: Decimal = Decimal(0)
    # The blocks of the run's documents (key → text), planned while the run is `planning`.
    blocks: dict[tuple[UUID, int], str] = field(default_factory=dict)


class MemoryPackStore:
    def __init__(self) -> None:
        self.runs: dict[UUID, Run] = {}
        self.calls: list[LlmCall] = []
        self.emitted: list[PackReady] = []
        self.notices: list[RecountRequested] = []
        self.plan_requests: list[UUID] = []  # run.plan-requested continuations committed
        self.crash_next_step = False

    # -- arranging a test ---------------------------------------------------------------------

    def add_run(self, policy: PolicySnapshot, definition: dict[str, Any]) -> UUID:
        run_id = uuid4()
        inputs = RunInputs(uuid4(), policy.model_dump(mode="json"), definition, {})
        budget = None if policy.budget_usd is None else Decimal(str(policy.budget_usd))
        self.runs[run_id] = Run(inputs, budget_usd=budget)
        return run_id

    def add_planning_run(
        self, policy: PolicySnapshot, definition: dict[str, Any], documents: list[list[str]]
    ) -> UUID:
        """A run just created: `planning`, its documents' blocks (texts) and no overlay yet."""
        run_id = self.add_run(policy, definition)
        run = self.runs[run_id]
        run.status = "planning"
        for texts in documents:
            document_id = uuid4()
            run.blocks.update(((document_id, i), text) for i, text in enumerate(texts))
        return run_id

    def add_overlays(self, run_id: UUID, texts: list[str], *, pack_id: UUID | None) -> None:
        document_id = uuid4()
        self.runs[run_id].overlays.extend(
            Overlay(document_id, i, text, pack_id=pack_id) for i, text in enumerate(texts)
        )

    def overlays(self, run_id: UUID) -> list[Overlay]:
        return sorted(self.runs[run_id].overlays, key=lambda o: (o.document_id, o.block_index))

    # -- PackStore ----------------------------------------------------------------------------

    async def run_inputs(self, run_id: UUID) -> RunInputs | None:
        run = self.runs.get(run_id)
        return None if run is None else run.inputs

    async def claim(
        self, *, run_id: UUID, pack_id: UUID, worker_id: str, lease_seconds: float
    ) -> list[ClaimedBlock]:
        if run_id not in self.runs or self.runs[run_id].status not in _LIVE_RUN:
            return []
        claimed = []
        for o in self.overlays(run_id):
            if o.pack_id == pack_id and o.status is OverlayStatus.PENDING:
                o.status, o.claimed_by = OverlayStatus.CLAIMED, worker_id
                claimed.append(ClaimedBlock(o.document_id, o.block_index, o.attempt_count, o.text))
        return claimed

    async def renew_lease(
        self, *, run_id: UUID, pack_id: UUID, worker_id: str, lease_seconds: float
    ) -> None:
        return None  # leases do not expire in memory

    async def reserve_budget(self, run_id: UUID, amount: Decimal) -> bool:
        run = self.runs[run_id]
        if run.budget_usd is None or run.spent_usd + run.reserved_usd + amount > run.budget_usd:
            return False
        run.reserved_usd += amount
        return True

    async def settle(self, settlement: Settlement) -> int:
        run = self.runs[settlement.pack.run_id]
        by_key = {(o.document_id, o.block_index): o for o in run.overlays}
        settled = []
        for outcome in settlement.decision.outcomes:
            o = by_key[(outcome.block.document_id, outcome.block.block_index)]
            if o.status is not OverlayStatus.CLAIMED or o.claimed_by != settlement.worker_id:
                continue  # not ours any more: the late answer is discarded
            o.status, o.claimed_by = outcome.status, None
            o.staged = outcome.staged if outcome.staged is not None else o.staged
            o.attempt_count += outcome.attempt_inc
            o.pack_id = outcome.pack_id or o.pack_id
            o.error_code = outcome.error_code
            o.flags = outcome.flags
            assert o.pack_id is not None
            settled.append(SettledOverlay(o.status, o.pack_id))
        if settlement.call is not None:
            self.calls.append(settlement.call)
        if settlement.reserved is not None:
            billed = settlement.call.cost_usd if settlement.call is not None else Decimal(0)
            run.reserved_usd = max(run.reserved_usd - settlement.reserved, Decimal(0))
            run.spent_usd += billed
        follow_ups, notice = announcements(settlement.pack, settlement.decision, settled)
        self.emitted.extend(follow_ups)
        if notice is not None:
            self.notices.append(notice)
        return len(settled)

    async def plan_step(
        self, run_id: UUID, step: PlanningStep, *, limit: int, request_more: bool = True
    ) -> PlanningWrite | None:
        run = self.runs.get(run_id)
        if run is None or run.status not in _LIVE_RUN:
            return None
        unpacked = [
            PlannedBlock((o.document_id, o.block_index), estimate_tokens(o.text))
            for o in self.overlays(run_id)
            if o.pack_id is None and o.status is OverlayStatus.PENDING
        ][: limit + 1]
        fresh: list[PlannedBlock] = []
        if not unpacked and run.status == "planning":
            written = {(o.document_id, o.block_index) for o in run.overlays}
            cursor = max(written, default=None)
            fresh = [
                PlannedBlock(key, estimate_tokens(text))
                for key, text in sorted(run.blocks.items())
                if cursor is None or key > cursor
            ][: limit + 1]
        decided = step(PlanningChunk(run.status, unpacked, fresh))
        if decided is None:
            return None
        if self.crash_next_step:  # the process dies before its transaction commits
            self.crash_next_step = False
            raise RuntimeError("worker killed mid-planning")
        packs = decided.packs
        rows = zip(packs.document_ids, packs.block_indexes, packs.pack_ids, strict=True)
        if decided.fresh:
            existing = {(o.document_id, o.block_index) for o in run.overlays}
            for document_id, block_index, pack_id in rows:
                if (document_id, block_index) not in existing:  # ON CONFLICT DO NOTHING
                    text = run.blocks[(document_id, block_index)]
                    run.overlays.append(Overlay(document_id, block_index, text, pack_id=pack_id))
        else:
            by_key = {(o.document_id, o.block_index): o for o in run.overlays}
            for document_id, block_index, pack_id in rows:
                by_key[(document_id, block_index)].pack_id = pack_id
        self.emitted.extend(packs.messages)
        if decided.more and request_more:
            self.plan_requests.append(run_id)
        if decided.finished:
            run.status = "running"
            self.notices.append(RecountRequested(run_id=run_id))
        return decided

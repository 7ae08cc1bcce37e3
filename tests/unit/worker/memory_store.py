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
from strata.planning.assignment import PackAssignment
from strata.planning.planner import PlannedBlock
from strata.planning.tokens import estimate_tokens
from strata.worker.outcomes import ClaimedBlock
from strata.worker.store import (
    LlmCall,
    PackPlanner,
    RunInputs,
    SettledOverlay,
    Settlement,
    announcements,
)

_LIVE_RUN = ("pending", "running")


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


class MemoryPackStore:
    def __init__(self) -> None:
        self.runs: dict[UUID, Run] = {}
        self.calls: list[LlmCall] = []
        self.emitted: list[PackReady] = []
        self.notices: list[RecountRequested] = []

    # -- arranging a test ---------------------------------------------------------------------

    def add_run(self, policy: PolicySnapshot, definition: dict[str, Any]) -> UUID:
        run_id = uuid4()
        inputs = RunInputs(uuid4(), policy.model_dump(mode="json"), definition, {})
        budget = None if policy.budget_usd is None else Decimal(str(policy.budget_usd))
        self.runs[run_id] = Run(inputs, budget_usd=budget)
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

    async def assign_unpacked(self, run_id: UUID, plan: PackPlanner) -> PackAssignment | None:
        run = self.runs.get(run_id)
        if run is None or run.status not in _LIVE_RUN:
            return None
        unpacked = [
            o
            for o in self.overlays(run_id)
            if o.pack_id is None and o.status is OverlayStatus.PENDING
        ]
        if not unpacked:
            return None
        packs = plan(
            [
                PlannedBlock((o.document_id, o.block_index), estimate_tokens(o.text))
                for o in unpacked
            ]
        )
        by_key = {(o.document_id, o.block_index): o for o in unpacked}
        for key in zip(packs.document_ids, packs.block_indexes, packs.pack_ids, strict=True):
            by_key[key[:2]].pack_id = key[2]
        self.emitted.extend(packs.messages)
        return packs

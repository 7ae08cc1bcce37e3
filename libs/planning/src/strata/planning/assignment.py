"""Planned blocks become pack assignments (pure): a fresh id per pack, the pack of every block,
and the `pack.ready` that offers each pack.

The gateway (creating a run) and the worker (re-planning a run's unpacked overlays) both write
and emit exactly this, so a pack is made the same way wherever it is born; each keeps only its
own I/O.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from strata.contracts.messages import PackReady
from strata.contracts.policy import PolicySnapshot
from strata.planning.planner import PlannedBlock, plan_packs


@dataclass(frozen=True)
class PackAssignment:
    """One entry per block in claim order (the columns of an `unnest` write), and one message
    per pack in the same order."""

    document_ids: list[str]  # as the planner keys blocks; the write casts to uuid
    block_indexes: list[int]
    pack_ids: list[UUID]
    messages: list[PackReady]


def assign_packs(
    blocks: Sequence[PlannedBlock],
    *,
    run_id: UUID,
    policy: PolicySnapshot,
    fixed_prompt_tokens: int,
    new_pack_id: Callable[[], UUID] = uuid4,
) -> PackAssignment:
    """Plan `blocks` (ordered) into packs under `policy` and give each pack its id and message."""
    assignment = PackAssignment([], [], [], [])
    for pack in plan_packs(blocks, policy, fixed_prompt_tokens=fixed_prompt_tokens):
        pack_id = new_pack_id()
        for block in pack:
            assignment.document_ids.append(block.key[0])
            assignment.block_indexes.append(block.key[1])
            assignment.pack_ids.append(pack_id)
        assignment.messages.append(PackReady(run_id=run_id, pack_id=pack_id, block_count=len(pack)))
    return assignment

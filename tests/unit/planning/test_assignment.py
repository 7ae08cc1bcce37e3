"""Planned blocks become packs with ids and their pack.ready messages, the same for the gateway
(run creation) and the worker (re-planning)."""

from itertools import count
from uuid import UUID, uuid4

from strata.contracts.policy import PolicySnapshot
from strata.planning.assignment import assign_packs
from strata.planning.planner import PlannedBlock, plan_packs

RUN = uuid4()
DOC_A, DOC_B = uuid4(), uuid4()


def _ids():
    numbers = count(1)
    return lambda: UUID(int=next(numbers))


def _blocks() -> list[PlannedBlock]:
    return [PlannedBlock((DOC_A, i), 10) for i in range(3)] + [
        PlannedBlock((DOC_B, i), 10) for i in range(2)
    ]


def test_every_block_gets_its_packs_id_in_claim_order():
    policy = PolicySnapshot(batching_mode="fixed", fixed_pack_size=2)
    packs = assign_packs(
        _blocks(), run_id=RUN, policy=policy, fixed_prompt_tokens=0, new_pack_id=_ids()
    )
    assert packs.document_ids == [DOC_A, DOC_A, DOC_A, DOC_B, DOC_B]
    assert packs.block_indexes == [0, 1, 2, 0, 1]
    assert packs.pack_ids == [UUID(int=n) for n in (1, 1, 2, 2, 3)]


def test_one_pack_ready_per_pack_with_its_block_count():
    policy = PolicySnapshot(batching_mode="fixed", fixed_pack_size=2)
    packs = assign_packs(
        _blocks(), run_id=RUN, policy=policy, fixed_prompt_tokens=0, new_pack_id=_ids()
    )
    assert [(m.run_id, m.pack_id, m.block_count, m.split_depth) for m in packs.messages] == [
        (RUN, UUID(int=1), 2, 0),
        (RUN, UUID(int=2), 2, 0),
        (RUN, UUID(int=3), 1, 0),
    ]


def test_the_packs_are_the_planners_packs():
    policy = PolicySnapshot(max_pack_size=3)
    blocks = _blocks()
    packs = assign_packs(blocks, run_id=RUN, policy=policy, fixed_prompt_tokens=100)
    planned = plan_packs(blocks, policy, fixed_prompt_tokens=100)
    assert [m.block_count for m in packs.messages] == [len(p) for p in planned]
    assert len(set(packs.pack_ids)) == len(planned)  # fresh ids, never shared between packs


def test_nothing_to_plan_is_no_pack():
    packs = assign_packs([], run_id=RUN, policy=PolicySnapshot(), fixed_prompt_tokens=0)
    assert (packs.pack_ids, packs.messages) == ([], [])

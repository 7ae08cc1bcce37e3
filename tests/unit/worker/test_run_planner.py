"""RunPlanner against the in-memory store: a new run planned in bounded chunks (resumed after a
crash, never doubled by redelivery, stopped by a cancel); re-planning packs only the pending
overlays that are in no pack, and a second delivery finds nothing to plan."""

from collections import Counter
from uuid import UUID, uuid4

import pytest

from strata.contracts.messages import PlanRequested
from strata.contracts.overlays import OverlayStatus
from strata.contracts.policy import PolicySnapshot
from strata.planning.assignment import PackAssignment, assign_packs
from strata.planning.planner import PlannedBlock
from strata.worker.context import RunContexts
from strata.worker.planning import RunPlanner, planning_step
from strata.worker.store import PlanningChunk
from tests.unit.worker.memory_store import MemoryPackStore

DEFINITION = {"type": "object", "properties": {"title": {"type": "string"}}}


def arrange(policy: PolicySnapshot) -> tuple[MemoryPackStore, RunPlanner]:
    store = MemoryPackStore()
    return store, RunPlanner(store=store, contexts=RunContexts(store))


async def test_only_unpacked_pending_overlays_are_planned():
    store, planner = arrange(policy := PolicySnapshot(batching_mode="fixed", fixed_pack_size=2))
    run_id = store.add_run(policy, DEFINITION)
    packed = uuid4()
    store.add_overlays(run_id, ["kept", "kept too"], pack_id=packed)
    store.add_overlays(run_id, ["one", "two", "three"], pack_id=None)
    store.add_overlays(run_id, ["done"], pack_id=None)
    store.runs[run_id].overlays[-1].status = OverlayStatus.FAILED

    assert await planner.plan(PlanRequested(run_id=run_id)) == 2

    by_text = {o.text: o for o in store.overlays(run_id)}
    assert by_text["kept"].pack_id == by_text["kept too"].pack_id == packed
    assert by_text["done"].pack_id is None
    new = [by_text[t].pack_id for t in ("one", "two", "three")]
    assert new[0] == new[1] != new[2] and packed not in new
    assert [(m.run_id, m.pack_id, m.block_count) for m in store.emitted] == [
        (run_id, new[0], 2),
        (run_id, new[2], 1),
    ]


async def test_a_redelivered_run_created_plans_nothing():
    store, planner = arrange(policy := PolicySnapshot())
    run_id = store.add_run(policy, DEFINITION)
    store.add_overlays(run_id, ["one", "two"], pack_id=None)
    assert await planner.plan(PlanRequested(run_id=run_id)) == 1
    assert await planner.plan(PlanRequested(run_id=run_id)) == 0
    assert len(store.emitted) == 1


async def test_a_run_that_is_not_live_or_not_known_is_not_planned():
    store, planner = arrange(policy := PolicySnapshot())
    run_id = store.add_run(policy, DEFINITION)
    store.add_overlays(run_id, ["one"], pack_id=None)
    store.runs[run_id].status = "cancelled"
    assert await planner.plan(PlanRequested(run_id=run_id)) == 0
    assert await planner.plan(PlanRequested(run_id=uuid4())) == 0
    assert store.emitted == [] and store.overlays(run_id)[0].pack_id is None


# -- background planning of a new run, one bounded chunk per run.plan-requested ---------------

FIXED = PolicySnapshot(batching_mode="fixed", fixed_pack_size=3)


def planning_run(
    documents: int = 3, blocks: int = 7, *, chunk: int = 5, per_message: int = 1
) -> tuple[MemoryPackStore, RunPlanner, UUID]:
    store = MemoryPackStore()
    planner = RunPlanner(
        store=store,
        contexts=RunContexts(store),
        chunk_blocks=chunk,
        chunks_per_message=per_message,
    )
    texts = [[f"doc {d} block {i}" for i in range(blocks)] for d in range(documents)]
    return store, planner, store.add_planning_run(FIXED, DEFINITION, texts)


async def deliver_until_done(store: MemoryPackStore, planner: RunPlanner, run_id: UUID) -> int:
    """Deliver run.plan-requested and each continuation it commits; returns the steps taken."""
    steps = 0
    await planner.plan(PlanRequested(run_id=run_id))
    while store.plan_requests:
        store.plan_requests.pop(0)
        await planner.plan(PlanRequested(run_id=run_id))
        steps += 1
    return steps + 1


def assert_planned_exactly_once(store: MemoryPackStore, run_id: UUID) -> None:
    run = store.runs[run_id]
    keys = [(o.document_id, o.block_index) for o in run.overlays]
    assert sorted(keys) == sorted(run.blocks) and len(set(keys)) == len(keys)
    assert all(o.pack_id is not None for o in run.overlays)
    # Each pack offered once, and its offer counts exactly the overlays in it.
    offered = {m.pack_id: m.block_count for m in store.emitted}
    assert len(offered) == len(store.emitted)
    in_pack = Counter(o.pack_id for o in run.overlays)
    assert offered == dict(in_pack)


async def test_a_new_run_is_planned_in_chunks_and_packs_flow_before_planning_ends():
    store, planner, run_id = planning_run(documents=3, blocks=7, chunk=5)

    await planner.plan(PlanRequested(run_id=run_id))
    assert store.runs[run_id].status == "planning"
    assert store.emitted and store.plan_requests == [run_id]  # packs out, more to plan
    assert len(store.runs[run_id].overlays) <= 5

    steps = await deliver_until_done(store, planner, run_id)
    assert steps > 21 // 5
    assert store.runs[run_id].status == "running"
    assert [n.run_id for n in store.notices] == [run_id]  # the recount that may complete it
    assert_planned_exactly_once(store, run_id)
    # The packs one pass over every block makes: chunks never cut a pack short.
    assert [m.block_count for m in store.emitted] == [3] * 7


async def test_a_crash_mid_planning_resumes_where_it_stopped():
    store, planner, run_id = planning_run(documents=4, blocks=6, chunk=4)
    await planner.plan(PlanRequested(run_id=run_id))
    before = len(store.runs[run_id].overlays)
    store.crash_next_step = True
    with pytest.raises(RuntimeError):
        await planner.plan(PlanRequested(run_id=store.plan_requests[0]))
    assert len(store.runs[run_id].overlays) == before  # the dead step wrote nothing
    # The broker redelivers the unacknowledged message: planning goes on from the cursor.
    await deliver_until_done(store, planner, run_id)
    assert store.runs[run_id].status == "running"
    assert_planned_exactly_once(store, run_id)


async def test_redelivered_plan_requests_never_double_a_block():
    store, planner, run_id = planning_run(documents=2, blocks=9, chunk=4)
    await planner.plan(PlanRequested(run_id=run_id))
    while store.plan_requests:
        store.plan_requests.pop(0)
        for _ in range(2):  # every message delivered twice
            await planner.plan(PlanRequested(run_id=run_id))
    assert await planner.plan(PlanRequested(run_id=run_id)) == 0  # a late copy: nothing left
    assert store.runs[run_id].status == "running"
    assert_planned_exactly_once(store, run_id)


async def test_a_run_cancelled_while_planning_stops_and_resume_finishes_it():
    store, planner, run_id = planning_run(documents=3, blocks=5, chunk=4)
    await planner.plan(PlanRequested(run_id=run_id))
    run = store.runs[run_id]
    run.status = "cancelled"  # the gateway's cancel (its overlays leave their packs)
    for overlay in run.overlays:
        overlay.pack_id = None
    written = len(run.overlays)
    store.emitted.clear()
    store.plan_requests.clear()

    assert await planner.plan(PlanRequested(run_id=run_id)) == 0
    assert len(run.overlays) == written and not store.plan_requests  # planning stopped

    run.status = "planning"  # resume of a run cancelled before its planning ended
    await deliver_until_done(store, planner, run_id)
    assert run.status == "running"
    assert_planned_exactly_once(store, run_id)


async def test_one_message_plans_a_few_chunks_and_requests_the_rest_once():
    store, planner, run_id = planning_run(documents=4, blocks=10, chunk=4, per_message=3)
    await planner.plan(PlanRequested(run_id=run_id))
    # Three chunks of at most four blocks (the last pack of each held back), one continuation.
    assert 3 * 3 <= len(store.runs[run_id].overlays) <= 3 * 4
    assert store.plan_requests == [run_id]
    written = len(store.runs[run_id].overlays)
    store.crash_next_step = True  # dies in the first step of the next message
    with pytest.raises(RuntimeError):
        await planner.plan(PlanRequested(run_id=run_id))
    assert len(store.runs[run_id].overlays) == written
    await deliver_until_done(store, planner, run_id)
    assert_planned_exactly_once(store, run_id)


def test_a_chunk_holds_back_its_last_pack_unless_it_ends_the_run():
    blocks = [PlannedBlock(("d", i), 10) for i in range(8)]

    def plan(chosen: list[PlannedBlock]) -> PackAssignment:
        return assign_packs(chosen, run_id=uuid4(), policy=FIXED, fixed_prompt_tokens=10)

    middle = planning_step(PlanningChunk("planning", [], blocks[:8]), limit=7, plan=plan)
    assert middle is not None and middle.more and not middle.finished
    assert middle.packs.block_indexes == [0, 1, 2, 3, 4, 5]  # [6] waits for the next chunk
    last = planning_step(PlanningChunk("planning", [], blocks[6:8]), limit=7, plan=plan)
    assert last is not None and last.finished and last.packs.block_indexes == [6, 7]
    assert planning_step(PlanningChunk("running", [], []), limit=7, plan=plan) is None
    ended = planning_step(PlanningChunk("planning", [], []), limit=7, plan=plan)
    assert ended is not None and ended.finished and ended.packs.pack_ids == []

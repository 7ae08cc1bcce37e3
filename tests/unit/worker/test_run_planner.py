"""RunPlanner against the in-memory store: re-planning packs only the pending overlays that are
in no pack, and a second delivery of run.created finds nothing to plan."""

from uuid import uuid4

from strata.contracts.messages import PlanRequested
from strata.contracts.overlays import OverlayStatus
from strata.contracts.policy import PolicySnapshot
from strata.worker.context import RunContexts
from strata.worker.planning import RunPlanner
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

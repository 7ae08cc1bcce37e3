"""RunRollup against the in-memory store: exact counters, what is announced and when, lease
reaping and the sweep, with no I/O."""

import logging
from uuid import uuid4

import pytest

from strata.contracts import routing
from strata.contracts.messages import PackReady, RecountRequested, RunCompleted, RunProgress
from strata.contracts.runs import RunStatus
from strata.rollup.rollup import RunRollup
from tests.unit.rollup.memory_store import MemoryRollupStore, Overlay


@pytest.fixture
def store() -> MemoryRollupStore:
    return MemoryRollupStore()


@pytest.fixture
def rollup(store: MemoryRollupStore) -> RunRollup:
    return RunRollup(store=store)


def _overlays(*statuses: str, pack=None) -> list[Overlay]:
    return [Overlay(status=s, pack_id=pack) for s in statuses]


async def test_counters_are_recomputed_exactly_and_announced(store, rollup) -> None:
    run_id = store.add_run(
        overlays=_overlays("ai_complete", "ai_complete", "failed", "pending", "claimed")
    )
    progress = await rollup.recompute(run_id)
    assert progress is not None and progress.status is RunStatus.RUNNING
    assert progress.counters.model_dump() == {
        "total_blocks": 5,
        "completed_blocks": 2,
        "failed_blocks": 1,
        "pending_blocks": 1,
        "claimed_blocks": 1,
    }
    (sent,) = store.emitted
    assert sent.route == routing.RUN_PROGRESS and isinstance(sent, RunProgress)
    assert sent.counters == progress.counters and sent.run_id == run_id


async def test_run_completed_is_emitted_once_by_the_recompute_that_completes_the_run(
    store, rollup
) -> None:
    run_id = store.add_run(status=RunStatus.RUNNING, overlays=_overlays("ai_complete", "claimed"))
    await rollup.recompute(run_id)
    assert routing.RUN_COMPLETED not in store.emitted_routes()

    store.runs[run_id].overlays[1].status = "failed"
    for _ in range(3):  # a redelivered settle, then the sweep
        progress = await rollup.recompute(run_id)
        assert progress is not None and progress.status is RunStatus.COMPLETE
    completed = store.sent(routing.RUN_COMPLETED)
    assert len(completed) == 1 and isinstance(completed[0], RunCompleted)
    assert completed[0].counters.completed_blocks == 1
    assert completed[0].counters.failed_blocks == 1
    assert store.emitted_routes().count(routing.RUN_PROGRESS) == 4


async def test_an_unknown_run_is_not_announced(store, rollup) -> None:
    assert await rollup.recompute(uuid4()) is None
    assert store.emitted == []


async def test_a_cancelled_run_with_nothing_left_is_not_completed(store, rollup) -> None:
    run_id = store.add_run(
        status=RunStatus.CANCELLED, status_reason="cancelled_by_user", overlays=_overlays("failed")
    )
    progress = await rollup.recompute(run_id)
    assert progress is not None and progress.status is RunStatus.CANCELLED
    assert progress.status_reason == "cancelled_by_user"
    assert store.emitted_routes() == [routing.RUN_PROGRESS]


@pytest.mark.parametrize(
    ("reason", "advice"),
    [
        ("waiting_for_api_key", "provider key"),
        ("waiting_for_valid_api_key", "provider key"),
        ("budget_exhausted", "raise the budget"),
    ],
)
async def test_a_waiting_run_says_why_and_is_logged_once(
    store, rollup, caplog, reason, advice
) -> None:
    # The derivation of the reason is SQL; the rollup carries it and tells the operator once.
    run_id = store.add_run(
        status=RunStatus.RUNNING, overlays=_overlays("pending"), derives_reason=reason
    )
    with caplog.at_level(logging.WARNING, logger="strata.rollup.rollup"):
        first = await rollup.recompute(run_id)
        second = await rollup.recompute(run_id)
    assert first is not None and second is not None
    assert first.status_reason == second.status_reason == reason
    assert [m.status_reason for m in store.sent(routing.RUN_PROGRESS)] == [reason, reason]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and reason in warnings[0] and advice in warnings[0]


async def test_reaping_offers_the_pack_again_and_fails_blocks_at_max_attempts(
    store, rollup
) -> None:
    pack, live_pack = uuid4(), uuid4()
    overlays = [
        Overlay(status="claimed", pack_id=pack, lease_expired=True),
        Overlay(status="claimed", pack_id=pack, lease_expired=True, attempt_count=1),
        Overlay(status="claimed", pack_id=pack, lease_expired=True, attempt_count=2),  # last try
        Overlay(status="claimed", pack_id=live_pack),  # a live lease is left alone
    ]
    run_id = store.add_run(status=RunStatus.RUNNING, max_attempts=3, overlays=overlays)

    assert await rollup.reap_expired_claims() == 3
    assert [o.status for o in overlays] == ["pending", "pending", "failed", "claimed"]
    (offer,) = store.sent(routing.PACK_READY)
    assert isinstance(offer, PackReady)
    assert (offer.run_id, offer.pack_id, offer.block_count) == (run_id, pack, 2)
    (settled,) = store.sent(routing.RECOUNT_REQUESTED)
    assert isinstance(settled, RecountRequested) and settled.run_id == run_id

    store.emitted.clear()
    assert await rollup.reap_expired_claims() == 0
    assert store.emitted == []


async def test_reaping_a_pack_whose_blocks_all_fail_offers_nothing(store, rollup) -> None:
    overlays = [Overlay(status="claimed", pack_id=uuid4(), lease_expired=True, attempt_count=2)]
    run_id = store.add_run(status=RunStatus.RUNNING, max_attempts=3, overlays=overlays)
    assert await rollup.reap_expired_claims() == 1
    assert store.emitted_routes() == [routing.RECOUNT_REQUESTED]
    progress = await rollup.recompute(run_id)
    assert progress is not None and progress.status is RunStatus.COMPLETE


async def test_reaping_offers_one_message_per_pack_and_recounts_each_run_once(
    store, rollup
) -> None:
    a, b = uuid4(), uuid4()
    first = store.add_run(
        status=RunStatus.RUNNING,
        overlays=[Overlay(status="claimed", pack_id=p, lease_expired=True) for p in (a, a, b)],
    )
    second_pack = uuid4()
    second = store.add_run(
        overlays=[Overlay(status="claimed", pack_id=second_pack, lease_expired=True)]
    )
    assert await rollup.reap_expired_claims() == 4
    offers = {
        (m.run_id, m.pack_id): m.block_count for m in store.sent(routing.PACK_READY)
    }
    assert offers == {(first, a): 2, (first, b): 1, (second, second_pack): 1}
    settled = [m.run_id for m in store.sent(routing.RECOUNT_REQUESTED)]
    assert sorted(settled) == sorted([first, second])


async def test_the_sweep_recounts_active_runs_and_offers_a_stalled_runs_work_again(
    store, rollup
) -> None:
    lost, other = uuid4(), uuid4()
    stalled = store.add_run(
        status=RunStatus.RUNNING,
        stalled=True,
        overlays=[
            *_overlays("pending", "pending", "pending", pack=lost),
            Overlay(pack_id=other),
            Overlay(pack_id=other, last_error_code="budget_exhausted"),  # waits on purpose
            Overlay(pack_id=None),  # never planned: planned again through run.created
        ],
    )
    busy = store.add_run(status=RunStatus.RUNNING, stalled=True, overlays=_overlays("claimed"))
    done = store.add_run(status=RunStatus.COMPLETE, overlays=_overlays("ai_complete"))

    await rollup.sweep_once()
    recounted = [m.run_id for m in store.sent(routing.RUN_PROGRESS)]
    assert recounted == [stalled, busy]  # a complete run is not recounted
    offers = {m.pack_id: m.block_count for m in store.sent(routing.PACK_READY)}
    assert offers == {lost: 3, other: 1}
    replans = [m.run_id for m in store.sent(routing.PLAN_REQUESTED)]
    assert replans == [stalled]
    assert done not in recounted
    # Just offered (touched): not stalled again until two more leases pass.
    assert await rollup.reoffer_if_stalled(stalled) == 0

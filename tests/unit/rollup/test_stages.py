"""The run's todo list: each stage's status, counts and times from what the recount found."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from strata.contracts.messages import RunCounters, RunStagesChanged
from strata.contracts.runs import RunStatus
from strata.contracts.stages import StageName, StageStatus
from strata.rollup.announcements import recount_messages
from strata.rollup.stages import StageFacts, changed, rate_and_eta, todo_list
from strata.rollup.store import RunRecount

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FACTS = StageFacts(
    run_status=RunStatus.RUNNING,
    created_at=T0,
    completed_at=None,
    documents=2,
    converted=2,
    conversion_failed=0,
    documents_from=T0 - timedelta(minutes=5),
    documents_until=T0 - timedelta(minutes=1),
    planned_blocks=10,
    packs=3,
    first_call_at=T0 + timedelta(seconds=1),
    cost_usd=Decimal("0.25"),
    reviewed=0,
    exports=0,
    exports_ready=0,
    exports_failed=0,
    first_export_at=None,
    last_export_at=None,
    planned_at=T0,
)


def counters(done: int, failed: int = 0, total: int = 10, claimed: int = 0) -> RunCounters:
    return RunCounters(
        total_blocks=total,
        completed_blocks=done,
        failed_blocks=failed,
        pending_blocks=total - done - failed - claimed,
        claimed_blocks=claimed,
    )


def by_name(stages):
    return {s.name: s for s in stages}


def test_a_running_run_shows_conversion_and_planning_done_and_extraction_under_way():
    now = T0 + timedelta(seconds=11)
    stages = by_name(todo_list(facts=FACTS, counters=counters(4, claimed=2), previous=[], now=now))
    assert list(stages) == list(StageName)
    convert, plan, extract = stages["convert"], stages["plan"], stages["extract"]
    assert (convert.status, convert.done, convert.total) == (StageStatus.COMPLETED, 2, 2)
    assert convert.ended_at == FACTS.documents_until
    assert (plan.status, plan.packs, plan.ended_at) == (StageStatus.COMPLETED, 3, T0)
    assert (extract.status, extract.done, extract.total) == (StageStatus.IN_PROGRESS, 4, 10)
    assert extract.cost_usd == Decimal("0.25")
    assert extract.started_at == FACTS.first_call_at and extract.ended_at is None
    assert stages["review"].status is StageStatus.PENDING
    assert stages["export"].status is StageStatus.PENDING


def test_review_keeps_the_time_it_was_first_seen_and_export_completes_when_ready():
    done = replace(FACTS, run_status=RunStatus.COMPLETE, completed_at=T0 + timedelta(seconds=30))
    first = todo_list(
        facts=replace(done, reviewed=3), counters=counters(9, 1), previous=[], now=T0
    )
    later = T0 + timedelta(minutes=5)
    second = by_name(
        todo_list(
            facts=replace(
                done,
                reviewed=9,
                exports=1,
                exports_ready=1,
                first_export_at=later,
                last_export_at=later,
            ),
            counters=counters(9, 1),
            previous=first,
            now=later,
        )
    )
    assert by_name(first)["review"].status is StageStatus.IN_PROGRESS
    review = second["review"]
    assert (review.status, review.done, review.total) == (StageStatus.COMPLETED, 9, 9)
    assert review.started_at == T0 and review.ended_at == later
    assert second["extract"].status is StageStatus.COMPLETED
    assert second["extract"].failed == 1 and second["extract"].ended_at == done.completed_at
    assert second["export"].status is StageStatus.COMPLETED


def test_a_cancelled_run_fails_its_extraction_and_an_all_failed_export_fails():
    facts = replace(FACTS, run_status=RunStatus.CANCELLED, exports=1, exports_failed=1)
    stages = by_name(todo_list(facts=facts, counters=counters(3), previous=[], now=T0))
    assert stages["extract"].status is StageStatus.FAILED
    assert stages["export"].status is StageStatus.FAILED


def test_rate_and_eta_from_the_first_call():
    rate, eta = rate_and_eta(
        counters=counters(4), first_call_at=T0, now=T0 + timedelta(seconds=2)
    )
    assert (rate, eta) == (2.0, 3.0)
    assert rate_and_eta(counters=counters(0), first_call_at=T0, now=T0) == (None, None)


def test_a_stage_change_is_announced_once_with_the_progress():
    now = T0 + timedelta(seconds=5)
    before = todo_list(facts=FACTS, counters=counters(0), previous=[], now=now)
    running = todo_list(facts=FACTS, counters=counters(5), previous=before, now=now)
    assert changed(before, running) is False  # more blocks done: progress, not a stage change
    recount = RunRecount(
        run_id=uuid4(),
        counters=counters(5),
        status=RunStatus.RUNNING,
        status_reason=None,
        previous_status=RunStatus.RUNNING,
        previous_reason=None,
        stages=running,
        previous_stages=running,
    )
    assert [m.route.routing_key for m in recount_messages(recount)] == ["run.progress"]
    finished = todo_list(
        facts=replace(FACTS, run_status=RunStatus.COMPLETE, completed_at=now),
        counters=counters(10),
        previous=running,
        now=now,
    )
    messages = recount_messages(replace(recount, stages=finished, previous_stages=running))
    assert [type(m) for m in messages][1] is RunStagesChanged
    assert messages[0].stages == finished


def test_planning_in_the_background_is_in_progress_until_its_last_chunk_and_keeps_its_packs():
    planning = replace(
        FACTS, run_status=RunStatus.PLANNING, planned_blocks=4, packs=2, planned_at=None
    )
    first = todo_list(facts=planning, counters=counters(1), previous=[], now=T0)
    plan = {s.name: s for s in first}[StageName.PLAN]
    assert (plan.status, plan.done, plan.total, plan.packs) == (StageStatus.IN_PROGRESS, 4, 10, 2)
    assert plan.ended_at is None
    # A recount from the tallies does not count packs: the last count stands.
    later = replace(planning, planned_blocks=10, packs=None, planned_at=T0 + timedelta(seconds=9))
    done = todo_list(facts=later, counters=counters(3), previous=first, now=T0 + timedelta(seconds=10))
    plan = {s.name: s for s in done}[StageName.PLAN]
    assert (plan.status, plan.done, plan.packs) == (StageStatus.COMPLETED, 10, 2)
    assert plan.ended_at == T0 + timedelta(seconds=10)  # the recount that saw it end

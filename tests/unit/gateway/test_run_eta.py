"""The run page's time left for a stage: the pace so far, only while there is one to go by."""

from datetime import UTC, datetime, timedelta

from strata.contracts.stages import Stage, StageName, StageStatus
from strata.gateway.pages.runs import eta

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def _stage(status: StageStatus, done: int, total: int, *, ago_s: float, failed: int = 0) -> Stage:
    return Stage(
        name=StageName.EXTRACT,
        status=status,
        done=done,
        failed=failed,
        total=total,
        started_at=NOW - timedelta(seconds=ago_s),
    )


def test_time_left_is_the_pace_so_far() -> None:
    assert eta(_stage(StageStatus.IN_PROGRESS, 10, 40, ago_s=10), now=NOW) == "about 30 s"
    assert eta(_stage(StageStatus.IN_PROGRESS, 5, 40, ago_s=60, failed=5), now=NOW) == (
        "about 3 min"
    )
    assert eta(_stage(StageStatus.IN_PROGRESS, 1, 1000, ago_s=60), now=NOW) == "about 16.6 h"


def test_no_time_left_without_a_pace() -> None:
    assert eta(_stage(StageStatus.IN_PROGRESS, 0, 40, ago_s=10), now=NOW) is None
    assert eta(_stage(StageStatus.COMPLETED, 40, 40, ago_s=10), now=NOW) is None
    assert eta(_stage(StageStatus.PENDING, 0, 40, ago_s=10), now=NOW) is None

import asyncio
from uuid import uuid4

from strata.contracts.messages import RecountRequested
from strata.rollup.rollup import RunRollup


class CountingRollup(RunRollup):
    def __init__(self) -> None:
        super().__init__(store=None)  # type: ignore[arg-type]
        self.recomputes: list[tuple[object, int]] = []
        self.seen = 0

    async def recompute(self, run_id):  # type: ignore[override]
        seen_at_start = self.seen
        await asyncio.sleep(0.01)
        self.recomputes.append((run_id, seen_at_start))


async def test_settles_of_one_run_coalesce_and_the_last_is_always_covered():
    rollup = CountingRollup()
    run, other = uuid4(), uuid4()

    async def settle(run_id):
        rollup.seen += 1
        await rollup.on_settled(RecountRequested(run_id=run_id))

    await asyncio.gather(*(settle(run) for _ in range(20)), settle(other))
    ours = [seen for run_id, seen in rollup.recomputes if run_id == run]
    assert 1 <= len(ours) <= 3  # not one per message
    assert ours[-1] == rollup.seen  # a recompute started after every settle arrived
    assert [r for r, _ in rollup.recomputes].count(other) == 1

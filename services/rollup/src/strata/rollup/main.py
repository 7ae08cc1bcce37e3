"""`strata-rollup`: exact run counters and status, lease reaping, on messages and on a timer."""

from pathlib import Path

from strata.rollup.dead_letters import DeadLetterCopier
from strata.rollup.handlers import register
from strata.rollup.rollup import RunRollup
from strata.rollup.settings import RollupSettings
from strata.runtime.db import Queries
from strata.runtime.service import ServiceRuntime, run

QUERIES = Queries.load(Path(__file__).with_name("queries.sql"))


def main() -> None:
    settings = RollupSettings()
    rt = ServiceRuntime("rollup", settings.common)
    rollup = RunRollup(
        outbox=rt.outbox, queries=QUERIES, min_interval_s=settings.min_recompute_interval_s
    )
    register(
        rt.broker,
        rollup=rollup,
        prefetch=settings.prefetch,
        dead_letters=DeadLetterCopier(pool=lambda: rt.pool, queries=QUERIES),
    )

    async def start_sweeps() -> None:
        rt.spawn(rollup.run_sweeps(settings.sweep_interval_s), "rollup-sweeps")

    run(rt.app(on_ready=start_sweeps))


if __name__ == "__main__":
    main()

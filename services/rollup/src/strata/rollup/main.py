"""`strata-rollup`: exact run counters and status, lease reaping, on messages and on a timer."""

from strata.rollup.dead_letters import DeadLetterCopier
from strata.rollup.handlers import register
from strata.rollup.rollup import RunRollup
from strata.rollup.settings import RollupSettings
from strata.rollup.store import PgRollupStore
from strata.runtime.service import ServiceRuntime, run


def main() -> None:
    settings = RollupSettings()
    rt = ServiceRuntime("rollup", settings.common, http_port=settings.http_port)
    store = PgRollupStore(outbox=rt.outbox)
    rollup = RunRollup(store=store, min_interval_s=settings.min_recompute_interval_s)
    register(
        rt.broker,
        rollup=rollup,
        prefetch=settings.prefetch,
        dead_letters=DeadLetterCopier(store=store),
    )

    async def start_sweeps() -> None:
        rt.spawn(rollup.run_sweeps(settings.sweep_interval_s), "rollup-sweeps")

    run(rt.app(on_ready=start_sweeps))


if __name__ == "__main__":
    main()

"""`strata-worker`: plans runs into packs and runs packs against the model."""

from strata.crypto import CryptoSettings
from strata.runtime.egress import EgressSettings
from strata.runtime.service import ServiceRuntime, run
from strata.worker.batch_loop import BatchLoop, BatchTiming
from strata.worker.context import RunContexts
from strata.worker.deferred import ModeRouter
from strata.worker.handlers import register
from strata.worker.keys import AccountKeyResolver
from strata.worker.limiter import LimitedProvider, RateLimiter
from strata.worker.pg_batch_store import PgBatchStore
from strata.worker.pg_store import PgKeyStore, PgLimiterStore, PgPackStore
from strata.worker.planning import RunPlanner
from strata.worker.provider import AnthropicProvider
from strata.worker.runner import PackRunner
from strata.worker.settings import WorkerSettings


def main() -> None:
    settings = WorkerSettings()
    # Each pack in flight may hold a connection to settle while its outbox publish marks rows
    # on another: size the pool to the concurrency so packs never queue for a connection.
    pool_size = max(settings.common.db_pool_size, 2 * settings.concurrency + 2)
    rt = ServiceRuntime(
        "worker", settings.common, pool_size=pool_size, http_port=settings.http_port
    )
    # Every worker process paces each key's calls to its rate limits through one shared row.
    limiter = RateLimiter(PgLimiterStore(rt), headroom=settings.rate_limit_headroom)
    provider = (
        LimitedProvider(
            AnthropicProvider(
                api_key=settings.anthropic_api_key,
                base_url=settings.anthropic_base_url,
                timeout_s=settings.request_timeout_s,
            ),
            limiter,
            "platform",
        )
        if settings.anthropic_api_key
        else None
    )
    store = PgPackStore(rt)
    batch_store = PgBatchStore(rt)
    contexts = RunContexts(store)
    providers = AccountKeyResolver(
        store=PgKeyStore(rt),
        platform=provider,
        master=CryptoSettings().master(),  # STRATA_MASTER_KEY; a bad value stops the start
        anthropic_base_url=settings.anthropic_base_url,
        timeout_s=settings.request_timeout_s,
        # STRATA_ALLOWED_PRIVATE_HOSTS: user endpoints that may be private
        allowed_private_hosts=EgressSettings().allowed(),
        limiter=limiter,
    )
    runner = PackRunner(
        store=store, contexts=contexts, providers=providers, worker_id=settings.id
    )
    register(
        rt.broker,
        planner=RunPlanner(
            store=store, contexts=contexts, chunk_blocks=settings.plan_chunk_blocks
        ),
        runner=ModeRouter(realtime=runner, contexts=contexts, store=batch_store),
        concurrency=settings.concurrency,
    )
    batches = BatchLoop(
        store=batch_store,
        contexts=contexts,
        providers=providers,
        worker_id=settings.id,
        timing=BatchTiming(
            poll_seconds=settings.batch_poll_s,
            gather_seconds=settings.batch_gather_s,
            lease_seconds=settings.batch_lease_s,
            max_requests=settings.batch_max_requests,
        ),
    )

    async def start_batches() -> None:
        # Deferred runs: batches are submitted and polled from the database by every worker.
        rt.spawn(batches.run_forever(), "message-batches")

    run(rt.app(on_ready=start_batches))


if __name__ == "__main__":
    main()

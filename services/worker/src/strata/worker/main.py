"""`strata-worker`: plans runs into packs and runs packs against the model."""

from strata.crypto import CryptoSettings
from strata.runtime.egress import EgressSettings
from strata.runtime.service import ServiceRuntime, run
from strata.worker.context import RunContexts
from strata.worker.handlers import register
from strata.worker.keys import AccountKeyResolver
from strata.worker.pg_store import PgKeyStore, PgPackStore
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
    provider = (
        AnthropicProvider(
            api_key=settings.anthropic_api_key,
            base_url=settings.anthropic_base_url,
            timeout_s=settings.request_timeout_s,
        )
        if settings.anthropic_api_key
        else None
    )
    store = PgPackStore(rt)
    contexts = RunContexts(store)
    register(
        rt.broker,
        planner=RunPlanner(
            store=store, contexts=contexts, chunk_blocks=settings.plan_chunk_blocks
        ),
        runner=PackRunner(
            store=store,
            contexts=contexts,
            providers=AccountKeyResolver(
                store=PgKeyStore(rt),
                platform=provider,
                master=CryptoSettings().master(),  # STRATA_MASTER_KEY; a bad value stops the start
                anthropic_base_url=settings.anthropic_base_url,
                timeout_s=settings.request_timeout_s,
                # STRATA_ALLOWED_PRIVATE_HOSTS: user endpoints that may be private
                allowed_private_hosts=EgressSettings().allowed(),
            ),
            worker_id=settings.id,
        ),
        concurrency=settings.concurrency,
    )
    run(rt.app())


if __name__ == "__main__":
    main()

"""`strata-notify`: the durable event log (every notification, once, in commit order, announced
with pg_notify for the gateways' SSE streams) and the webhook delivery loop."""

import logging

import httpx

from strata.contracts import routing
from strata.contracts.messages import Message
from strata.crypto import MasterKey
from strata.notify.deliverer import Deliverer
from strata.notify.events import MODELS
from strata.notify.recorder import Recorder
from strata.notify.settings import NotifySettings
from strata.notify.store import PgNotifyStore
from strata.runtime.consumer import consume_notifications
from strata.runtime.service import ServiceRuntime, run

logger = logging.getLogger(__name__)


def main() -> None:
    settings = NotifySettings()
    # One line per webhook request at INFO would drown the service's own log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Webhook secrets are sealed under it; without it (as without it the gateway creates no
    # webhook) the event log still runs and nothing is delivered.
    master = settings.crypto.master()
    rt = ServiceRuntime("notify", settings.common, http_port=settings.http_port)
    store = PgNotifyStore(outbox=rt.outbox)
    # No redirects: a 3xx to an internal address must not bypass the target rules.
    client = httpx.AsyncClient(timeout=settings.delivery_timeout_s, follow_redirects=False)
    deliverer = Deliverer(
        store=store,
        master=master or MasterKey.generate(),
        policy=settings.retry_policy(),
        client=client,
        allow_private=settings.targets.allow_private_targets,
        batch=settings.delivery_batch,
    )
    recorder = Recorder(store=store, on_recorded=deliverer.wake.set)

    # One at a time: the broker hands messages over in publish order, and handlers of a
    # larger prefetch run concurrently, which would record a run's completion before its
    # last progress. A record is one short transaction, so this still takes hundreds a second.
    @consume_notifications(rt.broker, routing.EVENT_LOG, MODELS, prefetch=1)
    async def on_notification(message: Message) -> None:
        await recorder.record(message)

    async def start_delivering() -> None:
        if master is None:
            logger.warning("STRATA_MASTER_KEY is not set: no webhook will be delivered")
            return
        rt.spawn(deliverer.run(poll_s=settings.delivery_poll_s), "webhook-deliveries")

    run(rt.app(on_ready=start_delivering))


if __name__ == "__main__":
    main()

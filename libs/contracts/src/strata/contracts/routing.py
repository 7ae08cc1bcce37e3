"""Exchange, routing keys and queue names: the only place they are spelled.

Each message class carries its `Route` (`strata.contracts.messages`), so code emits a message and
never pairs a routing key with it by hand."""

from dataclasses import dataclass

EXCHANGE = "strata.events"
DEAD_LETTER_EXCHANGE = "strata.dlx"
DEAD_LETTER_QUEUE = "strata.dead-letters"
# Messages that failed for a retryable reason wait here (per-message TTL) and are dead-lettered
# back to EXCHANGE with their original routing key: delayed retry without a broker plugin.
RETRY_QUEUE = "strata.retry"


@dataclass(frozen=True)
class Route:
    """A routing key and, for a command, the durable queue one consuming service reads it from.

    Notifications (events anyone may follow) have no queue of ours: they are published without
    `mandatory`, since they may have no subscriber yet."""

    routing_key: str
    queue: str | None = None
    # Earlier wire names of the same command, still bound to its queue so that integrations
    # publishing them keep working for one more version (see the README's upgrade notes).
    legacy_keys: tuple[str, ...] = ()
    # Further keys bound to the same queue: the notifications a recording consumer follows
    # (the event log takes every notification into one queue, in publish order).
    also_keys: tuple[str, ...] = ()

    @property
    def is_command(self) -> bool:
        return self.queue is not None

    @property
    def bound_keys(self) -> tuple[str, ...]:
        return (self.routing_key, *self.legacy_keys, *self.also_keys)


# Commands: exactly one consuming service each.
DOCUMENT_RECEIVED = Route("document.received", "strata.ingest.document-received")
CONVERSION_REQUESTED = Route("conversion.requested", "strata.conversion.conversion-requested")
# "Plan this run's pending overlays that have no pack yet" (after creation, a cancel/resume, a
# retry-failed or the rollup's sweep). Called `run.created` before 0.2.
PLAN_REQUESTED = Route(
    "run.plan-requested", "strata.worker.plan-requested", legacy_keys=("run.created",)
)
PACK_READY = Route("pack.ready", "strata.worker.pack-ready")
# "Recount this run from its overlays" (after a settle, a cancel, a resume, a retry-failed).
# Called `overlays.settled` before 0.2.
RECOUNT_REQUESTED = Route(
    "run.recount-requested",
    "strata.rollup.recount-requested",
    legacy_keys=("overlays.settled",),
)
EXPORT_REQUESTED = Route("export.requested", "strata.export.export-requested")

# Notifications.
DOCUMENT_CONVERTED = Route("document.converted")
DOCUMENT_FAILED = Route("document.failed")
RUN_PROGRESS = Route("run.progress")
RUN_COMPLETED = Route("run.completed")
RUN_CANCELLED = Route("run.cancelled")
EXPORT_COMPLETED = Route("export.completed")
# The run's todo list changed (a stage started, completed or failed).
RUN_STAGES = Route("run.stages")

NOTIFICATIONS = (
    DOCUMENT_CONVERTED,
    DOCUMENT_FAILED,
    RUN_PROGRESS,
    RUN_STAGES,
    RUN_COMPLETED,
    RUN_CANCELLED,
    EXPORT_COMPLETED,
)
# The event log (strata-notify) records every notification. Its queue is declared by every
# process at start like the commands', so a notification published before notify ever ran is
# kept, and the outbox publishes notifications `mandatory` too: none is lost on the way.
EVENT_LOG = Route(
    NOTIFICATIONS[0].routing_key,
    "strata.notify.events",
    also_keys=tuple(r.routing_key for r in NOTIFICATIONS[1:]),
)

CONSUMED_ROUTES = (
    DOCUMENT_RECEIVED,
    CONVERSION_REQUESTED,
    PLAN_REQUESTED,
    PACK_READY,
    RECOUNT_REQUESTED,
    EXPORT_REQUESTED,
    EVENT_LOG,
)

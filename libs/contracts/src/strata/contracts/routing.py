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
# Commands an integration publishes to start work (README, "Commands by message"): consumed by
# the gateway process, which owns the rules they reuse (uploads, run creation, tokens).
INGEST_REQUESTED = Route("ingest.requested", "strata.gateway.ingest-requested")
RUN_REQUESTED = Route("run.requested", "strata.gateway.run-requested")

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

# Answers to an integration's commands, each carrying its correlation id. Notifications of
# their own family (`command.#`): the integration binds a queue of its own to them. They are
# not in the event log: a rejection may name an account nobody proved to be.
COMMAND_ACCEPTED = Route("command.accepted")
COMMAND_REJECTED = Route("command.rejected")
COMMAND_DOCUMENT_READY = Route("command.document-ready")
COMMAND_DOCUMENT_FAILED = Route("command.document-failed")
COMMAND_RUN_COMPLETED = Route("command.run-completed")
COMMAND_RUN_CANCELLED = Route("command.run-cancelled")
COMMAND_ANSWERS = (
    COMMAND_ACCEPTED,
    COMMAND_REJECTED,
    COMMAND_DOCUMENT_READY,
    COMMAND_DOCUMENT_FAILED,
    COMMAND_RUN_COMPLETED,
    COMMAND_RUN_CANCELLED,
)
# The notifications that settle a command's work: the gateway follows them to answer the
# commands waiting on that document or run, with each command's correlation id.
COMMAND_FOLLOW_UPS = Route(
    DOCUMENT_CONVERTED.routing_key,
    "strata.gateway.command-follow-ups",
    also_keys=(
        DOCUMENT_FAILED.routing_key,
        RUN_COMPLETED.routing_key,
        RUN_CANCELLED.routing_key,
    ),
)

CONSUMED_ROUTES = (
    DOCUMENT_RECEIVED,
    CONVERSION_REQUESTED,
    PLAN_REQUESTED,
    PACK_READY,
    RECOUNT_REQUESTED,
    EXPORT_REQUESTED,
    INGEST_REQUESTED,
    RUN_REQUESTED,
    EVENT_LOG,
    COMMAND_FOLLOW_UPS,
)

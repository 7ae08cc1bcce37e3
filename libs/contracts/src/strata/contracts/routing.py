"""Exchange, routing keys and queue names: the only place they are spelled."""

from dataclasses import dataclass

EXCHANGE = "strata.events"
DEAD_LETTER_EXCHANGE = "strata.dlx"
DEAD_LETTER_QUEUE = "strata.dead-letters"
# Messages that failed for a retryable reason wait here (per-message TTL) and are dead-lettered
# back to EXCHANGE with their original routing key: delayed retry without a broker plugin.
RETRY_QUEUE = "strata.retry"


@dataclass(frozen=True)
class Route:
    """A routing key and the durable queue one consuming service reads it from."""

    routing_key: str
    queue: str


DOCUMENT_RECEIVED = Route("document.received", "strata.ingest.document-received")
CONVERSION_REQUESTED = Route("conversion.requested", "strata.conversion.conversion-requested")
DOCUMENT_CONVERTED = "document.converted"
DOCUMENT_FAILED = "document.failed"
RUN_CREATED = Route("run.created", "strata.worker.run-created")
PACK_READY = Route("pack.ready", "strata.worker.pack-ready")
OVERLAYS_SETTLED = Route("overlays.settled", "strata.rollup.overlays-settled")
RUN_PROGRESS = "run.progress"
RUN_COMPLETED = "run.completed"
RUN_CANCELLED = "run.cancelled"
EXPORT_REQUESTED = Route("export.requested", "strata.export.export-requested")
EXPORT_COMPLETED = "export.completed"

CONSUMED_ROUTES = (
    DOCUMENT_RECEIVED,
    CONVERSION_REQUESTED,
    RUN_CREATED,
    PACK_READY,
    OVERLAYS_SETTLED,
    EXPORT_REQUESTED,
)

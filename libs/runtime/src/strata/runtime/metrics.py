"""Prometheus series every process shares: what its consumers did with each message, how long
handlers took, and its outbox backlog. Labels carry bounded values only (queue names, outcome
words, producer names), never an id.

Service-specific series (conversion time, model tokens, claims, exports) live in the service's
own `metrics.py`; all of them land in the default registry that `/metrics` serves."""

from prometheus_client import Counter, Gauge, Histogram

# Outcomes of one delivery: handled (acked), retried (re-published to a delay tier),
# dead_lettered (given up with a reason), requeued (nacked after an unexpected error).
OUTCOMES = ("handled", "retried", "dead_lettered", "requeued")

MESSAGES = Counter(
    "strata_messages",
    "Messages a consumer finished with, by queue and outcome",
    ["queue", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "strata_handler_duration_seconds",
    "Time a handler took for one message, by queue",
    ["queue"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
DEAD_LETTERS = Counter(
    "strata_dead_letters",
    "Messages dead-lettered, by queue and error code",
    ["queue", "code"],
)
OUTBOX_BACKLOG = Gauge(
    "strata_outbox_backlog_messages",
    "Outbox rows of this producer not yet published",
    ["producer"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "strata_outbox_oldest_age_seconds",
    "Age of this producer's oldest unpublished outbox row (0 when none)",
    ["producer"],
)
OUTBOX_PUBLISHED = Counter(
    "strata_outbox_published_messages",
    "Outbox messages published, by producer and path (after_commit or relay)",
    ["producer", "path"],
)


def count(queue: str, outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    MESSAGES.labels(queue=queue, outcome=outcome).inc()


def prime(queue: str) -> None:
    """Every series of a queue exists from the start at 0, so a rate() has a first sample."""
    for outcome in OUTCOMES:
        MESSAGES.labels(queue=queue, outcome=outcome)
    HANDLER_SECONDS.labels(queue=queue)

"""Command figures for operators: how integrations' commands end, by kind and outcome
(`accepted`, `replayed`, or the rejection's stable code: a bounded set, never an id)."""

from prometheus_client import Counter

COMMANDS = Counter(
    "strata_commands",
    "Integrations' commands handled, by command (ingest, run) and outcome",
    ["command", "outcome"],
)


def count(command: str, outcome: str) -> None:
    COMMANDS.labels(command=command, outcome=outcome).inc()

"""The vocabulary of a run's states."""

from enum import StrEnum


class RunStatus(StrEnum):
    # Answered at once; its overlays and packs are still being written in the background
    # (packs of the chunks already written are being extracted meanwhile).
    PLANNING = "planning"
    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    CANCELLED = "cancelled"

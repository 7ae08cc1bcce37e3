"""Review counters of what an export holds, counted from the rows as they stream (pure)."""

from dataclasses import dataclass, field
from typing import Any

from strata.contracts.overlays import ReviewStatus


@dataclass
class ReviewCounts:
    by_status: dict[str, int] = field(
        default_factory=lambda: {status.value: 0 for status in ReviewStatus}
    )
    flagged: int = 0
    rows: int = 0

    def add(self, review_status: str, flags: list[str] | None) -> None:
        self.rows += 1
        self.by_status[review_status] = self.by_status.get(review_status, 0) + 1
        if flags:
            self.flagged += 1

    def items(self) -> list[tuple[str, Any]]:
        counted = [(f"review.{status}", n) for status, n in self.by_status.items()]
        return [("rows", self.rows), *counted, ("review.flagged", self.flagged)]

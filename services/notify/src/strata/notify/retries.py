"""What happens after a failed delivery attempt (pure, so the schedule is tested without time).

Exponential backoff from `first_delay_s`, x`factor` per attempt, capped at `max_delay_s`; a
delivery keeps being retried until `retry_window_s` has passed since it was created (24 h by
default, so a receiver down for a day still gets everything), then it fails. A subscription
whose attempts have failed without a success for `disable_after_s` is disabled."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    first_delay_s: float
    factor: float
    max_delay_s: float
    retry_window_s: float
    disable_after_s: float

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the `attempt`-th failed attempt (1 for the first)."""
        return float(min(self.first_delay_s * self.factor ** max(attempt - 1, 0), self.max_delay_s))

    def next_attempt(
        self, *, attempts: int, created_at: datetime, now: datetime
    ) -> datetime | None:
        """When to try again after `attempts` failures, or None: give up (the window is over)."""
        if now - created_at >= timedelta(seconds=self.retry_window_s):
            return None
        return now + timedelta(seconds=self.delay(attempts))

    def disables(self, *, failing_since: datetime | None, now: datetime) -> bool:
        return failing_since is not None and (
            now - failing_since >= timedelta(seconds=self.disable_after_s)
        )


def is_success(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300

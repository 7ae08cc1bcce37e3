"""Review figures for operators: actions taken, by action and by mode (one block or bulk).
Counted after the action committed; a bulk action counts every block it changed."""

from prometheus_client import Counter

REVIEW_ACTIONS = Counter(
    "strata_review_actions",
    "Review actions applied to blocks, by action (confirm, edit, reject, reopen) and mode",
    ["action", "mode"],
)


def count(action: str, *, mode: str, blocks: int = 1) -> None:
    REVIEW_ACTIONS.labels(action=action, mode=mode).inc(blocks)

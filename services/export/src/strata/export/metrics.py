"""The export service's Prometheus series: exports by format and outcome, their duration, and
rows written with their review status (bounded sets, never ids)."""

from prometheus_client import Counter, Histogram

EXPORTS = Counter(
    "strata_exports",
    "Exports finished, by format and outcome (ready, discarded, failed)",
    ["format", "outcome"],
)
EXPORT_SECONDS = Histogram(
    "strata_export_duration_seconds",
    "Time to build one export file, by format",
    ["format"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
ROWS = Counter(
    "strata_export_rows", "Rows written to export files, by review status", ["review_status"]
)

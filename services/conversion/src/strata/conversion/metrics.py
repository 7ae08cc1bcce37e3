"""The conversion service's Prometheus series: time per document by source format and outcome
(`ready`, or the document's error code: both bounded sets) and blocks produced by format."""

from prometheus_client import Counter, Histogram

CONVERSION_SECONDS = Histogram(
    "strata_conversion_duration_seconds",
    "Time to convert one document, by source format and outcome (ready or an error code)",
    ["format", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
BLOCKS = Counter("strata_conversion_blocks", "Blocks produced, by source format", ["format"])

"""The rollup's Prometheus series: claims whose lease expired (a worker stopped renewing) and
recomputes of run counters."""

from prometheus_client import Counter

LEASES_EXPIRED = Counter(
    "strata_leases_expired", "Claims released because their worker's lease expired"
)
RECOMPUTES = Counter("strata_run_recomputes", "Recomputes of a run's counters from its overlays")
RUNS_COMPLETED = Counter("strata_runs_completed", "Runs moved into complete by a recompute")

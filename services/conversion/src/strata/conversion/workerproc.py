"""Set-up of a converter worker process: offline model hub, a memory ceiling, warm imports."""

import logging
import os
import resource

logger = logging.getLogger(__name__)


def init_worker(memory_mb: int, warm: bool) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"  # no model hub is reachable; never wait on one
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        # Past this an allocation fails (MemoryError -> `out_of_memory`) instead of the kernel's
        # OOM killer taking the machine's other processes down with it.
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if warm:
        warm_up()


def warm_up() -> None:
    """Import docling and build its converters now, so the first document does not pay."""
    try:
        from strata.conversion import engine  # noqa: PLC0415

        for fmt in engine.INPUT_FORMATS:
            engine.converter(fmt)
    except Exception:  # a broken optional import must not kill the pool; conversions will say
        logger.exception("converter warm-up failed")

"""Set-up of a converter worker process: offline model hub, a memory ceiling, warm imports."""

import gc
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
        freeze_heap()


def freeze_heap() -> None:
    """Move everything alive after warm-up (docling, torch, the converters: ~370k objects)
    out of the cyclic collector's reach. Otherwise every full collection re-scans them: about
    0.4 s each on our machines, landing inside whichever conversion crossed the threshold, more
    than a whole HTML page takes to convert. That was most of bench-formats' overhead."""
    gc.collect()
    gc.freeze()


def warm_up() -> None:
    """Import docling and build its converters now, so the first document does not pay."""
    try:
        from strata.conversion import engine  # noqa: PLC0415

        for fmt in engine.INPUT_FORMATS:
            engine.converter(fmt)
    except Exception:  # a broken optional import must not kill the pool; conversions will say
        logger.exception("converter warm-up failed")

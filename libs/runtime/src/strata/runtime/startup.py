"""Starting while a dependency is still away: wait for it (with backoff, up to a deadline)
instead of exiting, so a service restarted during a broker or database outage comes up by itself
when the outage ends. Nothing restarts a process started by `make up`."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from strata.runtime.consumer import TRANSIENT_EXCEPTIONS

logger = logging.getLogger(__name__)
T = TypeVar("T")


async def until_up(what: str, connect: Callable[[], Awaitable[T]], *, within_s: float) -> T:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    delay = 0.5
    while True:
        try:
            return await connect()
        except TRANSIENT_EXCEPTIONS as exc:
            if loop.time() + delay > deadline:
                logger.error("%s still unreachable after %.0fs; giving up", what, within_s)
                raise
            logger.warning("%s unreachable (%s); retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

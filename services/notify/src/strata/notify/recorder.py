"""Every notification into the event log, once (thin: the store does the atomic write)."""

import logging
from collections.abc import Callable

from strata.contracts.messages import Message
from strata.notify.events import new_event
from strata.notify.store import NotifyStore

logger = logging.getLogger(__name__)


class Recorder:
    def __init__(self, *, store: NotifyStore, on_recorded: Callable[[], None]) -> None:
        self._store = store
        # Wakes this process's delivery loop, so a webhook goes out without waiting a poll.
        self._on_recorded = on_recorded

    async def record(self, message: Message) -> int | None:
        event_id = await self._store.record(new_event(message))
        if event_id is None:
            logger.debug(
                "%s %s: recorded before, or what it is about is gone",
                message.route.routing_key,
                message.message_id,
            )
        else:
            self._on_recorded()
        return event_id

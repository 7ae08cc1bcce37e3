"""What a worker process remembers about its runs between calls (bounded, in memory).

Neither fact needs to survive a restart: the last message id only lets the provider explain a
cache miss (the first call after a restart opts in without one), and a run whose schema the
provider refused as a structured-output format costs one refused call again after a restart.
"""

from collections import OrderedDict
from uuid import UUID

_REMEMBERED_RUNS = 1024


class RunMemory:
    def __init__(self, capacity: int = _REMEMBERED_RUNS) -> None:
        self._capacity = capacity
        self._last_message: OrderedDict[UUID, str] = OrderedDict()
        self._format_refused: OrderedDict[UUID, None] = OrderedDict()

    def _keep(self, store: "OrderedDict[UUID, object]", run_id: UUID) -> None:
        store.move_to_end(run_id)
        while len(store) > self._capacity:
            store.popitem(last=False)

    def previous_message(self, run_id: UUID, *, caching: bool) -> str | None:
        """The id to send as `diagnostics.previous_message_id`: "" opts in on a run's first
        call here; None (caching off) asks for nothing."""
        if not caching:
            return None
        return self._last_message.get(run_id, "")

    def remember_message(self, run_id: UUID, message_id: str | None) -> None:
        if message_id:
            self._last_message[run_id] = message_id
            self._keep(self._last_message, run_id)  # type: ignore[arg-type]

    def format_refused(self, run_id: UUID) -> bool:
        return run_id in self._format_refused

    def refuse_format(self, run_id: UUID) -> None:
        self._format_refused[run_id] = None
        self._keep(self._format_refused, run_id)  # type: ignore[arg-type]

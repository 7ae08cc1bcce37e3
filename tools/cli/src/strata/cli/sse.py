"""Server-Sent Events: a line parser (pure) and a follower that reconnects with Last-Event-ID
after a dropped connection, so the events of a run are seen once each, in order."""

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SseEvent:
    id: str | None
    event: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


def parse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Events from the stream's lines (comments, such as heartbeats, are skipped)."""
    event_id: str | None = None
    kind, data = "message", list[str]()
    for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                yield SseEvent(event_id, kind, "\n".join(data))
            kind, data = "message", list[str]()
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            kind = value
        elif name == "id":
            event_id = value


def follow(
    client: httpx.Client,
    path: str,
    *,
    last_event_id: str | None = None,
    retries: int = 30,
    retry_s: float = 1.0,
) -> Iterator[SseEvent]:
    """Every event of the stream; a dropped connection is resumed after the last id seen,
    up to `retries` times in a row. Ends when the server ends the stream."""
    failures = 0
    while True:
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        try:
            timeout = httpx.Timeout(30, read=90)  # heartbeats arrive well within the read limit
            with client.stream("GET", path, headers=headers, timeout=timeout) as r:
                if r.status_code >= 400:
                    r.read()
                    raise httpx.HTTPStatusError("stream refused", request=r.request, response=r)
                for event in parse(r.iter_lines()):
                    failures = 0
                    if event.id is not None:
                        last_event_id = event.id
                    yield event
            return
        except (httpx.TransportError, httpx.RemoteProtocolError):
            failures += 1
            if failures > retries:
                raise
            time.sleep(retry_s)

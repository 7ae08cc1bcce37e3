"""`make bench-progress`: live progress under load. A run of >= 20,000 blocks on the simulator
while 200 SSE clients follow it; 20 of them drop mid-run and reconnect with Last-Event-ID.

Every client must end up with exactly the run's events from the event log (none missed, none
twice, in order). Lag is from the commit that caused an event (`caused_at`, stored with the
event) to its receipt by a client, over the events that happened while the client was
connected.

Last line: clients=<n> events_missed=<n> resume_ok=<true|false> p50_lag_ms=<n> p99_lag_ms=<n>
"""

import argparse
import asyncio
import json
import statistics
import time
from datetime import datetime
from pathlib import Path

import httpx
from harness import ROOT, log, running_stack

from strata.client import wait_for

PARAGRAPH = ("Invoice {n} from supplier {s} is payable within {d} days; the amount due is {a} EUR "
             "and the delivery deadline is {day} November.")


def _document(doc: int, blocks: int) -> str:
    lines = [f"# Batch {doc}", ""]
    for i in range(blocks - 1):
        lines += [PARAGRAPH.format(n=doc * 100_000 + i, s=i % 17, d=14 + i % 60,
                                   a=1000 + (i * 37) % 90_000, day=1 + i % 28), ""]
    return "\n".join(lines)


class Watcher:
    """One SSE client of the run's stream; a dropper closes its connection once mid-run and
    resumes after the last id it saw."""

    def __init__(self, *, drops: bool) -> None:
        self.drops = drops
        self.ids: list[int] = []
        self.lags_ms: list[float] = []
        # The same lag in two parts: into the event log, and from the log to this client.
        self.record_ms: list[float] = []
        self.fanout_ms: list[float] = []
        self.connected_at = 0.0
        self.reconnected = False

    async def follow(self, http: httpx.AsyncClient, path: str, drop_after: asyncio.Event) -> None:
        last: str | None = None
        while True:
            headers = {} if last is None else {"Last-Event-ID": last}
            dropped = False
            async with http.stream("GET", path, headers=headers) as response:
                response.raise_for_status()
                # Connected once the stream answered; what happened before is replayed.
                self.connected_at = time.time()
                async for line in response.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    received = time.time()
                    event = json.loads(line[6:])
                    caused = datetime.fromisoformat(event["caused_at"]).timestamp()
                    if caused >= self.connected_at:  # live, not replayed
                        recorded = datetime.fromisoformat(event["created_at"]).timestamp()
                        self.lags_ms.append((received - caused) * 1000)
                        self.record_ms.append((recorded - caused) * 1000)
                        self.fanout_ms.append((received - recorded) * 1000)
                    self.ids.append(event["id"])
                    last = str(event["id"])
                    if self.drops and not self.reconnected and drop_after.is_set():
                        dropped = True
                        break
            if not dropped:
                return  # the server ended the stream after run.completed
            self.reconnected = True
            await asyncio.sleep(1.0)  # gone for a moment; events keep coming meanwhile


async def _watch(url: str, token: str, run_id: str, *, clients: int, droppers: int,
                 drop_at_settled: int, total: int) -> tuple[list[Watcher], list[int]]:
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    timeout = httpx.Timeout(30, read=120)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits,
                                 timeout=timeout) as http:
        drop_now = asyncio.Event()
        watchers = [Watcher(drops=i < droppers) for i in range(clients)]
        path = f"/v1/runs/{run_id}/events"
        tasks = [asyncio.create_task(w.follow(http, path, drop_now)) for w in watchers]

        async def trigger() -> None:  # mid-run: once a share of the blocks has settled
            while True:
                run = (await http.get(f"/v1/runs/{run_id}")).json()
                if run["completed_blocks"] + run["failed_blocks"] >= drop_at_settled:
                    drop_now.set()
                    log(f"dropping {droppers} clients at {run['completed_blocks']}/{total}")
                    return
                await asyncio.sleep(0.2)

        trigger_task = asyncio.create_task(trigger())
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=1800)
        trigger_task.cancel()
        logged, after = [], 0
        while True:  # the run's events as the log holds them
            page = (await http.get("/v1/events", params={"run_id": run_id, "after": after,
                                                          "limit": 500})).json()
            logged += page["items"]
            if len(page["items"]) < 500:
                break
            after = page["next_after"]
        # A run's stream ends with run.completed: a recount that a late settle asked for may
        # still log a progress after it, which is not part of the run's stream.
        end = next(i for i, e in enumerate(logged) if e["type"] == "run.completed")
        if len(logged) > end + 1:
            log(f"{len(logged) - end - 1} event(s) logged after run.completed (not streamed)")
        return watchers, [e["id"] for e in logged[: end + 1]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--blocks-per-document", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--droppers", type=int, default=20)
    args = parser.parse_args()
    folder = ROOT / "var" / "bench" / "progress"
    folder.mkdir(parents=True, exist_ok=True)
    # A little model latency so the run lasts long enough to drop clients in its middle.
    env = {"LLMSIM_LATENCY_MS": "150", "GATEWAY_SSE_HEARTBEAT_S": "5"}
    with running_stack(extra_env=env) as (stack, client):
        project = client.create_project("bench-progress")
        docs = []
        for doc in range(args.documents):
            path = Path(folder / f"batch-{doc:03d}.md")
            path.write_text(_document(doc, args.blocks_per_document))
            docs.append(client.upload(project["id"], path))
        for doc in docs:
            client.converted(doc["id"], timeout_s=900)
        schema = client.create_schema(project["id"], {
            "name": "invoice-facts",
            "definition": {"type": "object", "properties": {
                "amount": {"type": ["number", "null"]},
                "deadline": {"type": "boolean", "x-keywords": ["deadline", "due"]},
            }}})
        run = client.create_run({"schema_id": schema["id"], "project_id": project["id"]})
        total = run["total_blocks"]
        log(f"run {run['id']}: {total} blocks; {args.clients} clients following")
        token = client._http.headers["Authorization"].split(" ", 1)[1]
        watchers, reference = asyncio.run(_watch(
            stack.gateway_url, token, run["id"], clients=args.clients,
            droppers=args.droppers, drop_at_settled=total // 3, total=total))
        wait_for(lambda: client.run(run["id"]), lambda r: r["status"] == "complete",
                 timeout_s=60, what="run complete")
    missed = sum(len(set(reference) - set(w.ids)) for w in watchers)
    doubled = sum(len(w.ids) - len(set(w.ids)) for w in watchers)
    in_order = all(w.ids == sorted(w.ids) for w in watchers)
    resumed = [w for w in watchers if w.drops]
    resume_ok = (all(w.reconnected and w.ids == reference for w in resumed)
                 and doubled == 0 and in_order)
    lags = sorted(lag for w in watchers for lag in w.lags_ms)
    p50 = statistics.median(lags) if lags else 0.0
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))] if lags else 0.0
    for name in ("record_ms", "fanout_ms"):
        part = sorted(x for w in watchers for x in getattr(w, name))
        if part:
            log(f"  {name}: p50 {statistics.median(part):.0f} p99 {part[int(len(part) * 0.99)]:.0f}")
    log(f"{len(reference)} events in the run's log; {len(lags)} live receipts measured; "
        f"duplicates {doubled}; in order {in_order}")
    print(f"clients={len(watchers)} events_missed={missed} resume_ok={str(resume_ok).lower()} "
          f"p50_lag_ms={p50:.0f} p99_lag_ms={p99:.0f}")


if __name__ == "__main__":
    main()

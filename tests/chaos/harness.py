"""What every chaos scenario (and `bench/chaos.py`) shares: a Strata stack on a private RabbitMQ
node and Postgres cluster, a way to kill and replace workers, a settle audit, a broker-level
message duplicator, and one function that checks the run's invariants from database truth.

Nothing here edits the services: the stack is `tests/support/stack.Stack` started on the private
cluster, extra workers are more `strata-worker` processes with their own `WORKER_ID`, and the
settle audit is a trigger installed in the private database only.
"""

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg

from strata.client import StrataClient, wait_for
from strata.store.migrate import migrate
from tests.support.cluster import PrivateCluster
from tests.support.stack import BIN, Stack

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "examples" / "schema.json").read_text())
TERMINAL = ("ai_complete", "failed")
COPY_HEADER = "x-chaos-copy"

# Test-only instrumentation, in the private database only: one row each time an overlay enters
# a terminal state or its staged value changes while terminal. A block settled twice (its staged
# value written twice) shows up as two rows: the detector for "written twice" (invariant 1).
SETTLE_AUDIT = """
CREATE TABLE chaos_settle_audit (
    run_id uuid NOT NULL, document_id uuid NOT NULL, block_index int NOT NULL,
    old_status text NOT NULL, new_status text NOT NULL, staged_changed boolean NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE FUNCTION chaos_settle_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO chaos_settle_audit (run_id, document_id, block_index, old_status, new_status,
                                    staged_changed)
    VALUES (NEW.run_id, NEW.document_id, NEW.block_index, OLD.status, NEW.status,
            NEW.staged IS DISTINCT FROM OLD.staged);
    RETURN NULL;
END $$;
CREATE TRIGGER chaos_settle_audit AFTER UPDATE ON overlays FOR EACH ROW
WHEN ((NEW.status IN ('ai_complete', 'failed') OR OLD.status IN ('ai_complete', 'failed'))
      AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.staged IS DISTINCT FROM OLD.staged))
EXECUTE FUNCTION chaos_settle_audit();
"""

_TOPICS = [
    ("payment", "Payment of EUR {amount} is due within {days} days of the invoice date."),
    ("delivery", "The supplier shall deliver {qty} units to the Rotterdam warehouse by week {wk}."),
    ("quality", "Every batch is inspected; a defect rate above {pct} percent is rejected."),
    ("termination", "Either party may terminate this agreement with {days} days written notice."),
    ("incident", "At {hh}:{mm} the ingest cluster lost {qty} messages and paged the on-call."),
    ("action", "Action: the platform team reviews the retry budget before the {wk}th sprint."),
    ("none", "This paragraph restates the background and carries no business fact at all."),
]


def write_documents(folder: Path, sizes: list[int], *, seed: int = 7) -> list[Path]:
    """Markdown documents with `sizes[i]` paragraph blocks each (plus a heading every 25).
    Every paragraph is unique, so every block has its own deterministic simulated answer."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for d, size in enumerate(sizes):
        lines = [f"# Chaos document {d}", ""]
        for i in range(size):
            if i % 25 == 0:
                lines += [f"## Section {d}.{i // 25}", ""]
            _, template = _TOPICS[rnd.randrange(len(_TOPICS))]
            text = template.format(
                amount=rnd.randrange(100, 99_999),
                days=rnd.randrange(5, 90),
                qty=rnd.randrange(1, 5000),
                wk=rnd.randrange(1, 52),
                pct=rnd.randrange(1, 9),
                hh=f"{rnd.randrange(24):02d}",
                mm=f"{rnd.randrange(60):02d}",
            )
            lines += [f"Paragraph {d}-{i}. {text}", ""]
        path = folder / f"chaos-{d}.md"
        path.write_text("\n".join(lines))
        paths.append(path)
    return paths


def arun(coro):
    return asyncio.run(coro)


async def _execute(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.execute(sql, *args)
    finally:
        await conn.close()


async def _fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def _fetchval(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


# --------------------------------------------------------------------------------- the stack


@dataclass
class Kill:
    run_id: str
    worker: str
    at: float  # time.monotonic()
    claimed: int  # overlays the dead worker held: calls in flight (their answers are lost)


@dataclass
class ChaosStack(Stack):
    """The e2e Stack plus named extra workers that can be SIGKILLed and replaced."""

    worker_ids: dict[str, str] = field(default_factory=dict)
    kills: list[Kill] = field(default_factory=list)
    _next_worker: int = 0

    def start(self, *, extra_env: dict[str, str] | None = None, workers: int = 1) -> None:
        super().start(extra_env={"WORKER_ID": "worker-0", **(extra_env or {})})
        self.worker_ids["worker"] = "worker-0"
        self._next_worker = 1
        for _ in range(workers - 1):
            self.spawn_worker()

    def spawn_worker(self) -> str:
        name = f"worker-{self._next_worker}"
        self._next_worker += 1
        # Another worker on this machine: its probes on any free port, not the first one's.
        env = {**self.env, "WORKER_ID": name, "WORKER_HTTP_PORT": "0"}
        with (self.log_dir / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [str(BIN / "strata-worker")], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.worker_ids[name] = name
        return name

    def wait_ready(self, name: str, *, timeout_s: float = 60) -> bool:
        """Wait until a FastStream service process says it started (subscribers consuming)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                return False
            if "started successfully" in self.log(name):
                return True
            time.sleep(0.1)
        return False

    def live_workers(self) -> list[str]:
        return [n for n in self.worker_ids if n in self.procs and self.procs[n].poll() is None]

    def respawn_dead(self) -> list[str]:
        """Start again any service process that died (not one we killed on purpose: those are
        gone from `procs`). Returns their names; a healthy stack returns []."""
        dead = [name for name, proc in self.procs.items() if proc.poll() is not None]
        for name in dead:
            cmd = [str(BIN / ("strata-worker" if name.startswith("worker") else f"strata-{name}"))]
            if name == "llm-sim":
                cmd += ["--port", self.sim_url.rsplit(":", 1)[1]]
            env = {**self.env, "WORKER_ID": self.worker_ids.get(name, name)}
            if name.startswith("worker-"):
                env["WORKER_HTTP_PORT"] = "0"
            with (self.log_dir / f"{name}.log").open("ab") as log:
                self.procs[name] = subprocess.Popen(
                    cmd, env=env, stdout=log, stderr=subprocess.STDOUT
                )
        return dead

    def kill_worker(self, name: str, run_id: str) -> Kill:
        """SIGKILL one worker (no cleanup of any kind), then count the claims it held."""
        proc = self.procs.pop(name)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        claimed = arun(
            _fetchval(
                self.database_url,
                "SELECT count(*) FROM overlays WHERE run_id = $1 AND status = 'claimed'"
                " AND claimed_by = $2",
                uuid.UUID(run_id),
                self.worker_ids[name],
            )
        )
        kill = Kill(run_id, name, time.monotonic(), claimed)
        self.kills.append(kill)
        return kill

    def claims_of(self, name: str, run_id: str) -> int:
        return arun(
            _fetchval(
                self.database_url,
                "SELECT count(*) FROM overlays WHERE run_id = $1 AND status = 'claimed'"
                " AND claimed_by = $2",
                uuid.UUID(run_id),
                self.worker_ids[name],
            )
        )

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@dataclass
class Scenario:
    cluster: PrivateCluster
    stack: ChaosStack
    client: StrataClient
    database: str
    vhost: str
    dead_letters_before: int = 0

    @property
    def dsn(self) -> str:
        return self.stack.database_url


@contextlib.contextmanager
def scenario(
    cluster: PrivateCluster,
    workdir: Path,
    *,
    policy: dict[str, Any] | None = None,
    workers: int = 2,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Scenario]:
    """A fresh database and vhost on the private cluster, migrated, audited, with the admin
    policy set (lease_seconds is not run-overridable), and a whole stack on them."""
    database = f"chaos_{uuid.uuid4().hex[:10]}"
    vhost = f"chaos_{uuid.uuid4().hex[:10]}"
    dsn = arun(cluster.pg.create_database(database))
    arun(migrate(dsn))
    arun(_execute(dsn, SETTLE_AUDIT))
    arun(_execute(dsn, "UPDATE policies SET settings = $1::jsonb", json.dumps(policy or {})))
    amqp_url = cluster.rabbit.add_vhost(vhost)
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    stack = ChaosStack(dsn, amqp_url, workdir / "blobs", workdir / "logs")
    client = None
    try:
        stack.start(
            extra_env={
                "ROLLUP_SWEEP_INTERVAL_S": "1",
                "STRATA_OUTBOX_RELAY_AFTER_S": "2",
                **(extra_env or {}),
            },
            workers=workers,
        )
        client = StrataClient(stack.gateway_url, stack.create_account("chaos"), timeout=60)
        yield Scenario(cluster, stack, client, database, vhost)
    finally:
        if client is not None:
            client.close()
        stack.stop()
        with contextlib.suppress(Exception):
            cluster.rabbit.delete_vhost(vhost)
        with contextlib.suppress(Exception):
            arun(cluster.pg.drop_database(database))


def set_policy(sc: Scenario, policy: dict[str, Any]) -> None:
    """The admin policy the next run freezes (lease_seconds is not run-overridable)."""
    arun(_execute(sc.dsn, "UPDATE policies SET settings = $1::jsonb", json.dumps(policy)))


def prepare_run(
    sc: Scenario, docs: list[Path], *, policy: dict[str, Any] | None = None, start: bool = True
) -> tuple[str, int]:
    """Upload, wait for conversion, set the admin policy, create the schema and (if `start`)
    the run. Returns (run_id or schema_id, total blocks)."""
    if policy is not None:
        set_policy(sc, policy)
    project = sc.client.create_project("chaos")
    uploaded = [sc.client.upload(project["id"], p) for p in docs]
    ready = [sc.client.converted(d["id"]) for d in uploaded]
    assert all(d["status"] == "ready" for d in ready), ready
    schema = sc.client.create_schema(project["id"], SCHEMA)
    total = sum(d["block_count"] for d in ready)
    if not start:
        return schema["id"], total
    run = sc.client.create_run(
        {"schema_id": schema["id"], "document_ids": [d["id"] for d in ready]}
    )
    assert run["total_blocks"] == total
    return run["id"], total


def planning_state(sc: Scenario, run_id: str) -> tuple[str, int]:
    """The run's status and how many of its overlays background planning has written."""
    row = arun(
        _fetch(
            sc.dsn,
            "SELECT r.status, (SELECT count(*) FROM overlays o WHERE o.run_id = r.id) AS written"
            " FROM runs r WHERE r.id = $1",
            uuid.UUID(run_id),
        )
    )[0]
    return row["status"], row["written"]


def wait_planning_started(sc: Scenario, run_id: str, *, timeout_s: float = 10) -> tuple[str, int]:
    """Wait until planning wrote its first chunk (or ended); the state then."""
    deadline = time.monotonic() + timeout_s
    state = planning_state(sc, run_id)
    while state[1] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
        state = planning_state(sc, run_id)
    return state


def wait_claims(sc: Scenario, name: str, run_id: str, *, timeout_s: float = 30) -> int:
    """Wait until worker `name` holds claims (i.e. is in the middle of model calls)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        n = sc.stack.claims_of(name, run_id)
        if n > 0:
            return n
        time.sleep(0.05)
    return 0


def settled_count(sc: Scenario, run_id: str) -> int:
    return arun(
        _fetchval(
            sc.dsn,
            "SELECT count(*) FROM overlays WHERE run_id = $1"
            " AND status IN ('ai_complete', 'failed')",
            uuid.UUID(run_id),
        )
    )


def wait_settled_at_least(sc: Scenario, run_id: str, n: int, *, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = settled_count(sc, run_id)
        if done >= n:
            return done
        time.sleep(0.1)
    raise TimeoutError(f"fewer than {n} overlays settled within {timeout_s}s")


def wait_complete(sc: Scenario, run_id: str, *, timeout_s: float) -> dict[str, Any] | None:
    """The run once `complete`, or None after the timeout (the caller reports what is stuck)."""
    try:
        return wait_for(
            lambda: _retrying(lambda: sc.client.run(run_id)),
            lambda r: r is not None and r["status"] == "complete",
            timeout_s=timeout_s,
            every_s=0.25,
            what="run complete",
        )
    except TimeoutError:
        return None


def _retrying(fetch):
    try:
        return fetch()
    except Exception:  # the gateway may answer 5xx while its database restarts
        return None


# --------------------------------------------------------------------------------- invariants


@dataclass
class Verdict:
    total: int
    by_status: dict[str, int]
    missing_overlays: int
    run_status: str
    run_completed: int
    run_failed: int
    completed_events: int
    progress_events: int
    bad_progress_events: int
    settle_rows_max: int
    settled_twice: int
    reopened: int
    multi_call_blocks: int
    extra_calls: int
    calls: int
    kills: int
    in_flight_at_kills: int
    dead_letters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.total - sum(self.by_status.get(s, 0) for s in TERMINAL) + self.missing_overlays

    @property
    def counters_exact(self) -> bool:
        return (self.run_completed, self.run_failed) == (
            self.by_status.get("ai_complete", 0),
            self.by_status.get("failed", 0),
        ) and self.bad_progress_events == 0

    def problems(self) -> list[str]:
        out = []
        if self.lost:
            out.append(f"{self.lost} overlay(s) not terminal or missing: {self.by_status}")
        if not self.counters_exact:
            out.append(
                f"counters {self.run_completed}/{self.run_failed} vs truth {self.by_status};"
                f" {self.bad_progress_events} run.progress event(s) not adding up"
            )
        if self.run_status != "complete":
            out.append(f"run status {self.run_status}")
        if self.completed_events != 1:
            out.append(f"{self.completed_events} run.completed outbox rows (want 1)")
        if self.settled_twice or self.reopened:
            out.append(f"{self.settled_twice} block(s) settled twice, {self.reopened} reopened")
        if self.extra_calls > self.in_flight_at_kills:
            out.append(
                f"{self.extra_calls} extra successful call(s) over {self.multi_call_blocks}"
                f" block(s), more than the {self.in_flight_at_kills} in flight at kills"
            )
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_status": self.by_status,
            "lost": self.lost,
            "run": [self.run_status, self.run_completed, self.run_failed],
            "completed_events": self.completed_events,
            "progress_events": self.progress_events,
            "settled_twice": self.settled_twice,
            "multi_call_blocks": self.multi_call_blocks,
            "extra_calls": self.extra_calls,
            "calls": self.calls,
            "kills": self.kills,
            "in_flight_at_kills": self.in_flight_at_kills,
            "dead_letters": len(self.dead_letters),
        }


async def _verdict(dsn: str, run_id: uuid.UUID, kills: list[Kill]) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        run = await conn.fetchrow(
            "SELECT status, total_blocks, completed_blocks, failed_blocks FROM runs WHERE id = $1",
            run_id,
        )
        by_status = {
            r["status"]: r["n"]
            for r in await conn.fetch(
                "SELECT status, count(*) AS n FROM overlays WHERE run_id = $1 GROUP BY status",
                run_id,
            )
        }
        missing = await conn.fetchval(
            "SELECT count(*) FROM run_documents rd JOIN blocks b USING (document_id)"
            " LEFT JOIN overlays o ON o.run_id = rd.run_id AND o.document_id = b.document_id"
            "  AND o.block_index = b.block_index"
            " WHERE rd.run_id = $1 AND o.run_id IS NULL",
            run_id,
        )
        events = await conn.fetch(
            "SELECT routing_key, payload FROM outbox WHERE payload ->> 'run_id' = $1"
            " AND routing_key IN ('run.completed', 'run.progress')",
            str(run_id),
        )
        bad_progress = 0
        for e in events:
            payload = e["payload"]
            c = (json.loads(payload) if isinstance(payload, str) else payload)["counters"]
            parts = (
                c["completed_blocks"]
                + c["failed_blocks"]
                + c["pending_blocks"]
                + c["claimed_blocks"]
            )
            if parts != c["total_blocks"] or c["total_blocks"] != run["total_blocks"]:
                bad_progress += 1
        audit = await conn.fetchrow(
            "SELECT coalesce(max(n), 0) AS max_rows,"
            " count(*) FILTER (WHERE n > 1) AS twice, coalesce(sum(reopened), 0) AS reopened"
            " FROM (SELECT count(*) FILTER (WHERE new_status IN ('ai_complete', 'failed')) AS n,"
            "       count(*) FILTER (WHERE old_status IN ('ai_complete', 'failed')"
            "                        AND new_status NOT IN ('ai_complete', 'failed')) AS reopened"
            "       FROM chaos_settle_audit WHERE run_id = $1"
            "       GROUP BY document_id, block_index) t",
            run_id,
        )
        # Successful calls (an answer, not an error, not cut at max_tokens) per settled block.
        calls = await conn.fetchrow(
            "WITH per_block AS ("
            "  SELECT uid, count(*) AS n FROM llm_calls c, unnest(c.block_uids) AS uid"
            "  WHERE c.run_id = $1 AND c.error_code IS NULL"
            "    AND c.stop_reason IS DISTINCT FROM 'max_tokens' GROUP BY uid)"
            " SELECT count(*) FILTER (WHERE p.n > 1) AS multi,"
            "        coalesce(sum(p.n - 1) FILTER (WHERE p.n > 1), 0) AS extra"
            " FROM overlays o JOIN per_block p"
            "   ON p.uid = o.document_id::text || ':' || o.block_index"
            " WHERE o.run_id = $1 AND o.status = 'ai_complete'",
            run_id,
        )
        n_calls = await conn.fetchval("SELECT count(*) FROM llm_calls WHERE run_id = $1", run_id)
    finally:
        await conn.close()
    return {
        "total": run["total_blocks"],
        "by_status": by_status,
        "missing_overlays": missing,
        "run_status": run["status"],
        "run_completed": run["completed_blocks"],
        "run_failed": run["failed_blocks"],
        "completed_events": sum(1 for e in events if e["routing_key"] == "run.completed"),
        "progress_events": sum(1 for e in events if e["routing_key"] == "run.progress"),
        "bad_progress_events": bad_progress,
        "settle_rows_max": audit["max_rows"],
        "settled_twice": audit["twice"],
        "reopened": audit["reopened"],
        "multi_call_blocks": calls["multi"],
        "extra_calls": calls["extra"],
        "calls": n_calls,
        "kills": len(kills),
        "in_flight_at_kills": sum(k.claimed for k in kills),
    }


async def _dead_letters(amqp_url: str) -> list[dict[str, Any]]:
    """Drain-free peek: read (and requeue) what sits in strata.dead-letters."""
    out: list[dict[str, Any]] = []
    conn = await aio_pika.connect(amqp_url)
    try:
        channel = await conn.channel()
        queue = await channel.get_queue("strata.dead-letters", ensure=True)
        seen = []
        while True:
            msg = await queue.get(fail=False, no_ack=False)
            if msg is None:
                break
            seen.append(msg)
            out.append(
                {
                    "routing_key": msg.routing_key,
                    "code": msg.headers.get("x-strata-error-code"),
                    "reason": str(msg.headers.get("x-strata-error"))[:300],
                    "queue": msg.headers.get("x-strata-queue"),
                    "death": str(msg.headers.get("x-death"))[:300],
                }
            )
        for msg in seen:
            await msg.nack(requeue=True)
    finally:
        await conn.close()
    return out


async def _stored_dead_letters(dsn: str) -> list[dict[str, Any]] | None:
    """The rollup service copies dead letters into `dead_letters` when that table exists."""
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT to_regclass('dead_letters')") is None:
            return None
        rows = await conn.fetch(
            "SELECT routing_key, error_code AS code, left(error, 300) AS reason, queue"
            " FROM dead_letters ORDER BY received_at"
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


def verdict(sc: Scenario, run_id: str) -> Verdict:
    kills = [k for k in sc.stack.kills if k.run_id == run_id]
    v = Verdict(**arun(_verdict(sc.dsn, uuid.UUID(run_id), kills)))
    v.dead_letters = dead_letters(sc)[sc.dead_letters_before :]
    return v


def dead_letters(sc: Scenario) -> list[dict[str, Any]]:
    with contextlib.suppress(Exception):
        stored = arun(_stored_dead_letters(sc.dsn))
        return stored if stored is not None else arun(_dead_letters(sc.stack.amqp_url))
    return []


def stuck_report(sc: Scenario, run_id: str) -> str:
    """What a run that did not complete is waiting on: for the failure message."""
    rows = arun(
        _fetch(
            sc.dsn,
            "SELECT status, pack_id, claimed_by, last_error_code, count(*) AS n FROM overlays"
            " WHERE run_id = $1 AND status NOT IN ('ai_complete', 'failed')"
            " GROUP BY 1, 2, 3, 4 ORDER BY n DESC LIMIT 10",
            uuid.UUID(run_id),
        )
    )
    return "; ".join(str(dict(r)) for r in rows)


# --------------------------------------------------------------------------------- the tap


class DuplicatingTap:
    """Every message on `strata.events` is published once more, same routing key, body,
    message_id and headers (plus `x-chaos-copy`, so the tap never copies a copy). Every consumer
    queue bound to the exchange therefore receives every message twice."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self.copied = 0
        self.by_key: dict[str, int] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._conn: aio_pika.abc.AbstractRobustConnection | None = None

    def __enter__(self) -> "DuplicatingTap":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        self._conn = await aio_pika.connect_robust(self.amqp_url)
        consume_ch = await self._conn.channel()
        publish_ch = await self._conn.channel(publisher_confirms=True)
        await consume_ch.set_qos(prefetch_count=100)
        events = await publish_ch.get_exchange("strata.events")
        queue = await consume_ch.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind("strata.events", routing_key="#")

        async def on_message(msg: aio_pika.abc.AbstractIncomingMessage) -> None:
            if msg.headers.get(COPY_HEADER):
                await msg.ack()
                return
            await events.publish(
                aio_pika.Message(
                    msg.body,
                    headers={**msg.headers, COPY_HEADER: 1},
                    content_type=msg.content_type,
                    message_id=msg.message_id,
                    correlation_id=msg.correlation_id,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=msg.routing_key or "",
            )
            self.copied += 1
            key = msg.routing_key or ""
            self.by_key[key] = self.by_key.get(key, 0) + 1
            await msg.ack()

        await queue.consume(on_message)

    async def _stop(self) -> None:
        if self._conn is not None:
            await self._conn.close()

"""The command handlers as registered in the gateway, on FastStream's in-memory broker, with an
in-memory store and the real file reader over a temporary import root."""

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from faststream.rabbit import RabbitBroker, RabbitMessage, TestRabbitBroker
from prometheus_client import REGISTRY

from strata.contracts import routing
from strata.contracts.commands import (
    CommandAccepted,
    CommandDocumentReady,
    CommandRejected,
    CommandRunCompleted,
    IngestRequested,
)
from strata.contracts.documents import DocumentStatus
from strata.contracts.messages import DocumentConverted, RunCompleted, RunCounters
from strata.contracts.runs import RunStatus
from strata.gateway.commands.handlers import register
from strata.gateway.commands.service import CommandService
from strata.runtime.broker import DEAD_LETTER_QUEUE, DEAD_LETTERS, EVENTS
from strata.runtime.consumer import ROUTING_KEY_HEADER
from strata.runtime.sources import FileSource, Sources, SourceUnavailableError, SourceUri
from tests.unit.gateway.commands_memory import MemoryCommandStore


class Harness:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = MemoryCommandStore()
        self.account_id, self.token, self.project_id = self.store.account()
        service = CommandService(store=self.store, sources=Sources({"file": FileSource([root])}))
        self.broker = RabbitBroker("amqp://guest:guest@localhost:5672/")
        register(self.broker, service, prefetch=1)
        self.dead: list[tuple[bytes, dict[str, Any]]] = []

        @self.broker.subscriber(DEAD_LETTER_QUEUE, DEAD_LETTERS)
        async def dead_letters(body: Any, message: RabbitMessage) -> None:
            self.dead.append((message.body, message.headers))

    def ingest(self, uri: str, **fields: Any) -> dict[str, Any]:
        return {
            "account_id": str(self.account_id),
            "credential": self.token,
            "project_id": str(self.project_id),
            "source_uri": uri,
            "correlation_id": "corr-1",
            **fields,
        }

    def file(self, name: str, data: bytes = b"# Notes\n\nSome text.\n") -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path.as_uri()


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    root = tmp_path / "imports"
    root.mkdir()
    return Harness(root)


async def _publish(test_broker: Any, body: Any, route: routing.Route, **kwargs: Any) -> None:
    await test_broker.publish(body, exchange=EVENTS, routing_key=route.routing_key, **kwargs)


async def _follow_up(test_broker: Any, event: Any) -> None:
    # The test broker routes by the queue's first key only; the consumer reads the event's own
    # key from the header a retry carries, so every bound key reaches its model this way.
    await test_broker.publish(
        event.model_dump(mode="json"),
        exchange=EVENTS,
        routing_key=routing.COMMAND_FOLLOW_UPS.routing_key,
        headers={ROUTING_KEY_HEADER: event.route.routing_key},
    )


def _one(h: Harness, kind: type) -> Any:
    found = [a for a in h.store.published if isinstance(a, kind)]
    assert len(found) == 1, h.store.published
    return found[0]


async def test_an_ingest_command_is_accepted_then_answered_when_the_document_is_ready(h) -> None:
    async with TestRabbitBroker(h.broker) as tb:
        await _publish(tb, h.ingest(h.file("a/notes.md")), routing.INGEST_REQUESTED)
        accepted = _one(h, CommandAccepted)
        assert (accepted.correlation_id, accepted.command) == ("corr-1", "ingest")
        assert accepted.document_id in h.store.documents and not accepted.duplicate
        h.store.settle(accepted.document_id, DocumentStatus.READY, 3)
        event = DocumentConverted(document_id=accepted.document_id, block_count=3)
        await _follow_up(tb, event)
        await _follow_up(tb, event)  # a redelivered event answers nobody twice
    ready = _one(h, CommandDocumentReady)
    assert (ready.correlation_id, ready.document_id, ready.block_count) == (
        "corr-1",
        accepted.document_id,
        3,
    )
    assert h.dead == []


@pytest.mark.parametrize(
    "credential",
    [None, "", "strata_unknown", "other-account"],
    ids=["missing", "empty", "unknown", "foreign"],
)
async def test_a_bad_credential_is_rejected_and_nothing_happens(h, credential) -> None:
    if credential == "other-account":
        _, credential, _ = h.store.account()
    body = h.ingest(h.file("a.md"), credential=credential)
    async with TestRabbitBroker(h.broker) as tb:
        await _publish(tb, body, routing.INGEST_REQUESTED)
    rejected = _one(h, CommandRejected)
    assert (rejected.code, rejected.correlation_id) == ("unauthorized", "corr-1")
    assert h.store.published == [rejected]
    assert h.store.documents == {} and h.store.commands == {}
    assert h.dead == []  # answered and acked, not dead-lettered


async def test_a_redelivered_command_is_replayed_not_redone(h) -> None:
    body = h.ingest(h.file("a.md"), message_id=str(uuid4()))
    async with TestRabbitBroker(h.broker) as tb:
        await _publish(tb, body, routing.INGEST_REQUESTED)
        await _publish(tb, body, routing.INGEST_REQUESTED)
        # Another message with the first one's idempotency key is a replay too.
        await _publish(
            tb,
            {**body, "message_id": str(uuid4()), "idempotency_key": body["message_id"]},
            routing.INGEST_REQUESTED,
        )
    first, *replays = [a for a in h.store.published if isinstance(a, CommandAccepted)]
    assert not first.replayed and [r.replayed for r in replays] == [True, True]
    assert {r.document_id for r in replays} == {first.document_id}
    assert len(h.store.documents) == 1 and len(h.store.commands) == 1


async def test_the_same_bytes_again_answer_the_settled_document_at_once(h) -> None:
    uri = h.file("a.md")
    async with TestRabbitBroker(h.broker) as tb:
        await _publish(tb, h.ingest(uri), routing.INGEST_REQUESTED)
        document_id = _one(h, CommandAccepted).document_id
        h.store.settle(document_id, DocumentStatus.READY, 2)
        await _publish(tb, h.ingest(uri, correlation_id="corr-2"), routing.INGEST_REQUESTED)
    second = [a for a in h.store.published if a.correlation_id == "corr-2"]
    assert [type(a) for a in second] == [CommandAccepted, CommandDocumentReady]
    assert second[0].duplicate and second[1].block_count == 2


def _escape_uris(h: Harness, tmp_path: Path) -> dict[str, str]:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    os.symlink(outside, h.root / "link.txt")
    os.symlink(tmp_path, h.root / "up")
    os.mkfifo(h.root / "pipe")  # opening it for reading would wait for a writer for ever
    (h.root / "folder").mkdir()
    return {
        "fifo": (h.root / "pipe").as_uri(),
        "directory": (h.root / "folder").as_uri(),
        "the_root_itself": h.root.as_uri(),
        "outside": outside.as_uri(),
        "dotdot": f"{h.root.as_uri()}/../secret.txt",
        "encoded_dotdot": f"{h.root.as_uri()}/%2E%2E/secret.txt",
        "symlink_file": (h.root / "link.txt").as_uri(),
        "symlink_dir": (h.root / "up" / "secret.txt").as_uri(),
    }


@pytest.mark.parametrize(
    "case",
    [
        "outside",
        "dotdot",
        "encoded_dotdot",
        "symlink_file",
        "symlink_dir",
        "fifo",
        "directory",
        "the_root_itself",
    ],
)
async def test_a_source_outside_the_import_roots_is_refused(h, tmp_path, case) -> None:
    uri = _escape_uris(h, tmp_path)[case]
    async with TestRabbitBroker(h.broker) as tb:
        await _publish(tb, h.ingest(uri), routing.INGEST_REQUESTED)
    rejected = _one(h, CommandRejected)
    assert rejected.code == "source_not_allowed", rejected.message
    assert h.store.documents == {}


@pytest.mark.parametrize(
    ("uri", "code"),
    [
        ("s3://bucket/key.pdf", "unsupported_source"),
        ("file://elsewhere/a.md", "invalid_source_uri"),
        ("relative/a.md", "invalid_source_uri"),
        ("MISSING", "source_not_found"),
        ("EMPTY", "empty_file"),
        ("LARGE", "file_too_large"),
    ],
)
async def test_sources_that_cannot_be_ingested_answer_a_stable_code(h, uri, code) -> None:
    uri = {
        "MISSING": (h.root / "nope.md").as_uri(),
        "EMPTY": h.file("empty.md", b""),
        "LARGE": h.file("large.md", b"x" * 5000),
    }.get(uri, uri)
    async with TestRabbitBroker(h.broker) as tb:
        await _publish(tb, h.ingest(uri), routing.INGEST_REQUESTED)
    assert _one(h, CommandRejected).code == code
    assert h.store.commands == {}


async def test_a_run_command_starts_a_run_and_answers_its_completion(h) -> None:
    schema_id = uuid4()
    h.store.schemas[schema_id] = h.project_id
    body = {
        "account_id": str(h.account_id),
        "credential": h.token,
        "schema_id": str(schema_id),
        "project_id": str(h.project_id),
        "correlation_id": "run-1",
    }
    async with TestRabbitBroker(h.broker) as tb:
        await _publish(tb, body, routing.RUN_REQUESTED)
        run_id = _one(h, CommandAccepted).run_id
        counters = RunCounters(
            total_blocks=2, completed_blocks=2, failed_blocks=0, pending_blocks=0, claimed_blocks=0
        )
        done = RunCompleted(run_id=run_id, status=RunStatus.COMPLETE, counters=counters)
        await _follow_up(tb, done)
    completed = _one(h, CommandRunCompleted)
    assert (completed.correlation_id, completed.run_id) == ("run-1", run_id)
    assert completed.counters.completed_blocks == 2


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, "invalid_command"),  # neither schema_id nor template
        ({"schema_id": "S", "template": {"slug": "x"}}, "invalid_command"),
        ({"template": {"slug": "x"}, "document_ids": ["D"]}, "invalid_command"),  # no project
        ({"schema_id": "S", "document_ids": ["D"]}, "not_found"),  # another account's schema
    ],
)
async def test_a_run_command_that_cannot_run_is_rejected(h, fields, code) -> None:
    _, _, other_project = h.store.account()
    foreign_schema = uuid4()
    h.store.schemas[foreign_schema] = other_project
    fields = json.loads(
        json.dumps(fields).replace('"S"', f'"{foreign_schema}"').replace('"D"', f'"{uuid4()}"')
    )
    body = {
        "account_id": str(h.account_id),
        "credential": h.token,
        "correlation_id": "run-2",
        **fields,
    }
    async with TestRabbitBroker(h.broker) as tb:
        await _publish(tb, body, routing.RUN_REQUESTED)
    assert _one(h, CommandRejected).code == code
    assert h.store.runs == {}


async def test_a_body_that_is_not_the_contract_is_answered_and_dead_lettered_redacted(h) -> None:
    body = h.ingest("file:///x", project_id="not-a-uuid")
    async with TestRabbitBroker(h.broker) as tb:
        await _publish(tb, body, routing.INGEST_REQUESTED)
        await _publish(tb, b"not json " + h.token.encode(), routing.INGEST_REQUESTED)
    rejected = _one(h, CommandRejected)
    assert (rejected.code, rejected.correlation_id) == ("invalid_command", "corr-1")
    assert "project_id" in rejected.message and "not-a-uuid" not in rejected.message
    assert len(h.dead) == 2
    for dead_body, headers in h.dead:
        assert h.token not in dead_body.decode() and h.token not in json.dumps(headers)
        assert headers["x-strata-error-code"] == "invalid_message"
    assert json.loads(h.dead[0][0])["credential"] == "[redacted]"
    assert UUID(str(h.account_id)) == rejected.account_id


async def test_outcomes_are_counted_by_command_and_code(h) -> None:
    def seen(outcome: str) -> float:
        value = REGISTRY.get_sample_value(
            "strata_commands_total", {"command": "ingest", "outcome": outcome}
        )
        return value or 0.0

    before = {o: seen(o) for o in ("accepted", "replayed", "unauthorized")}
    body = h.ingest(h.file("a.md"), message_id=str(uuid4()))
    async with TestRabbitBroker(h.broker) as tb:
        await _publish(tb, body, routing.INGEST_REQUESTED)
        await _publish(tb, body, routing.INGEST_REQUESTED)
        await _publish(tb, {**body, "credential": "nope"}, routing.INGEST_REQUESTED)
    assert {o: seen(o) - before[o] for o in before} == {
        "accepted": 1,
        "replayed": 1,
        "unauthorized": 1,
    }


class _UnavailableStore:
    """A reader whose store does not answer (an object store during an outage)."""

    def __init__(self) -> None:
        self.calls = 0

    async def chunks(self, uri: SourceUri) -> AsyncIterator[bytes]:
        self.calls += 1
        raise SourceUnavailableError()
        yield b""  # an async generator, as readers are


async def test_a_source_that_is_briefly_away_is_retried_not_rejected(tmp_path) -> None:
    h = Harness(tmp_path)
    reader = _UnavailableStore()
    service = CommandService(store=h.store, sources=Sources({"s3": reader}))
    command = IngestRequested.model_validate(h.ingest("s3://bucket/a.pdf"))
    with pytest.raises(SourceUnavailableError):
        await service.ingest(command)  # the consumer retries it through a delay tier
    assert reader.calls == 1
    assert h.store.published == [] and h.store.commands == {}

"""An in-memory command store for the handler tests: the same contract as PgCommandStore
(accounts and tokens, projects, documents deduped by bytes, runs, the commands table)."""

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from uuid import UUID, uuid4

from strata.contracts.commands import CommandAnswer, CommandKind, IngestRequested, RunRequested
from strata.contracts.documents import DocumentStatus
from strata.contracts.messages import (
    DocumentConverted,
    DocumentFailed,
    Message,
    RunCancelled,
    RunCompleted,
)
from strata.gateway.commands import answers
from strata.gateway.commands.answers import CommandRecord, DocumentState
from strata.gateway.commands.store import AlreadyRecordedError
from strata.gateway.web.errors import ApiError, not_found


@dataclass
class MemoryCommandStore:
    max_bytes: int = 1000
    tokens: dict[str, UUID] = field(default_factory=dict)
    projects: dict[UUID, UUID] = field(default_factory=dict)  # project -> account
    schemas: dict[UUID, UUID] = field(default_factory=dict)  # schema -> project
    documents: dict[UUID, tuple[UUID, str, DocumentState]] = field(default_factory=dict)
    runs: dict[UUID, UUID] = field(default_factory=dict)  # run -> project
    commands: dict[tuple[UUID, CommandKind, str], CommandRecord] = field(default_factory=dict)
    answered: set[tuple[UUID, CommandKind, str]] = field(default_factory=set)
    published: list[CommandAnswer] = field(default_factory=list)

    def account(self) -> tuple[UUID, str, UUID]:
        account_id, token, project_id = uuid4(), f"strata_{uuid4().hex}", uuid4()
        self.tokens[token] = account_id
        self.projects[project_id] = account_id
        return account_id, token, project_id

    async def authenticate(self, account_id: UUID, credential: str) -> bool:
        return self.tokens.get(credential) == account_id

    async def recorded(
        self, account_id: UUID, kind: CommandKind, command_key: str
    ) -> CommandRecord | None:
        return self.commands.get((account_id, kind, command_key))

    def _record(self, record: CommandRecord, replies: list[CommandAnswer], answered: bool) -> None:
        key = (record.account_id, record.kind, record.command_key)
        if key in self.commands:
            raise AlreadyRecordedError(record.command_key)
        self.commands[key] = record
        if answered:
            self.answered.add(key)
        self.published.extend(replies)

    async def ingest(
        self, command: IngestRequested, chunks: AsyncIterator[bytes], *, filename: str
    ) -> CommandRecord:
        if self.projects.get(command.project_id) != command.account_id:
            raise not_found("project")
        data = b""
        async for chunk in chunks:
            data += chunk
            if len(data) > self.max_bytes:
                raise ApiError(413, "file_too_large", "too large")
        if not data:
            raise ApiError(400, "empty_file", "empty")
        sha = hashlib.sha256(data).hexdigest()
        existing = next(
            (d for d, (p, s, _) in self.documents.items() if p == command.project_id and s == sha),
            None,
        )
        document_id = existing or uuid4()
        if existing is None:
            state = DocumentState(DocumentStatus.RECEIVED, 0, None, None)
            self.documents[document_id] = (command.project_id, sha, state)
        record = CommandRecord(
            account_id=command.account_id,
            kind=CommandKind.INGEST,
            command_key=command.command_key,
            correlation_id=command.correlation_id,
            project_id=command.project_id,
            document_id=document_id,
            duplicate=existing is not None,
        )
        replies = answers.on_ingest(record, self.documents[document_id][2])
        self._record(record, replies, len(replies) > 1)
        return record

    async def start_run(self, command: RunRequested) -> CommandRecord:
        project_id = self.schemas.get(command.schema_id or uuid4())
        if project_id is None or self.projects[project_id] != command.account_id:
            raise not_found("schema")
        for document_id in command.document_ids or []:
            if self.documents.get(document_id, (None,))[0] != project_id:
                raise not_found("document")
            if self.documents[document_id][2].status != DocumentStatus.READY:
                raise ApiError(409, "document_not_ready", "not ready")
        run_id = uuid4()
        self.runs[run_id] = project_id
        record = CommandRecord(
            account_id=command.account_id,
            kind=CommandKind.RUN,
            command_key=command.command_key,
            correlation_id=command.correlation_id,
            project_id=project_id,
            run_id=run_id,
            schema_id=command.schema_id,
        )
        self._record(record, [answers.accepted(record)], False)
        return record

    async def answer(self, answer: CommandAnswer) -> None:
        self.published.append(answer)

    def settle(self, document_id: UUID, status: DocumentStatus, blocks: int = 0) -> None:
        project_id, sha, _ = self.documents[document_id]
        self.documents[document_id] = (project_id, sha, DocumentState(status, blocks, None, None))

    async def follow_up(self, event: Message) -> int:
        if isinstance(event, DocumentConverted | DocumentFailed):
            waiting = [
                (k, r) for k, r in self.commands.items() if r.document_id == event.document_id
            ]
        elif isinstance(event, RunCompleted | RunCancelled):
            waiting = [(k, r) for k, r in self.commands.items() if r.run_id == event.run_id]
        else:
            return 0
        count = 0
        for key, record in waiting:
            if key in self.answered:
                continue
            self.answered.add(key)
            reply = answers.follow_up(event, replace(record))
            if reply is not None:
                self.published.append(reply)
                count += 1
        return count

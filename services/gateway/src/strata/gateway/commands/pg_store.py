"""The command store on Postgres: the gateway's own upload, template and run-creation code,
each inside one outbox transaction with the command's record and its answers."""

from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg

from strata.contracts.commands import CommandAnswer, CommandKind, IngestRequested, RunRequested
from strata.contracts.documents import DocumentStatus
from strata.contracts.messages import (
    DocumentConverted,
    DocumentFailed,
    Message,
    RunCancelled,
    RunCompleted,
)
from strata.gateway.api_models import RunCreate
from strata.gateway.commands import answers
from strata.gateway.commands.answers import CommandRecord, DocumentState
from strata.gateway.commands.store import AlreadyRecordedError
from strata.gateway.domain.run_creation import create_run_in
from strata.gateway.domain.template_schemas import find_template, save_from_template
from strata.gateway.domain.uploads import receive_document
from strata.gateway.sql import Q
from strata.gateway.web.deps import Resources
from strata.gateway.web.errors import not_found
from strata.gateway.web.tokens import hash_token
from strata.runtime.outbox import UnitOfWork


def _record(row: asyncpg.Record) -> CommandRecord:
    return CommandRecord(
        account_id=row["account_id"],
        kind=CommandKind(row["kind"]),
        command_key=row["command_key"],
        correlation_id=row["correlation_id"],
        project_id=row["project_id"],
        document_id=row["document_id"],
        run_id=row["run_id"],
        schema_id=row["schema_id"],
        duplicate=row["duplicate"],
    )


async def _insert(uow: UnitOfWork, record: CommandRecord, *, answered: bool) -> None:
    key = await uow.conn.fetchval(
        Q.insert_command,
        record.account_id,
        record.kind.value,
        record.command_key,
        record.correlation_id,
        record.project_id,
        record.document_id,
        record.run_id,
        record.schema_id,
        record.duplicate,
        answered,
    )
    if key is None:
        # Raised inside the unit of work: everything this delivery wrote rolls back.
        raise AlreadyRecordedError(record.command_key)


class PgCommandStore:
    def __init__(self, res: Resources) -> None:
        self._res = res

    async def authenticate(self, account_id: UUID, credential: str) -> bool:
        # The statement HTTP's bearer auth runs: live (not revoked, not expired), by hash.
        row = await self._res.pool.fetchrow(Q.authenticate, hash_token(credential))
        return row is not None and row["id"] == account_id

    async def recorded(
        self, account_id: UUID, kind: CommandKind, command_key: str
    ) -> CommandRecord | None:
        row = await self._res.pool.fetchrow(Q.get_command, account_id, kind.value, command_key)
        return None if row is None else _record(row)

    async def ingest(
        self, command: IngestRequested, chunks: AsyncIterator[bytes], *, filename: str
    ) -> CommandRecord:
        # As the upload route checks it: another account's project answers like an unknown one.
        if not await self._res.pool.fetchrow(Q.get_project, command.project_id, command.account_id):
            raise not_found("project")
        recorded: list[CommandRecord] = []

        async def within(uow: UnitOfWork, row: asyncpg.Record, existed: bool) -> None:
            state = await uow.conn.fetchrow(Q.command_document_state, row["id"])
            document = DocumentState(
                status=DocumentStatus(state["status"]),
                block_count=state["block_count"] or 0,
                error_code=state["error_code"],
                error_message=state["error_message"],
            )
            record = CommandRecord(
                account_id=command.account_id,
                kind=CommandKind.INGEST,
                command_key=command.command_key,
                correlation_id=command.correlation_id,
                project_id=command.project_id,
                document_id=row["id"],
                duplicate=existed,
            )
            replies = answers.on_ingest(record, document)
            await _insert(uow, record, answered=len(replies) > 1)
            for reply in replies:
                uow.emit(reply)
            recorded.append(record)

        await receive_document(
            self._res,
            account_id=command.account_id,
            project_id=command.project_id,
            chunks=chunks,
            filename=filename,
            content_type=command.content_type,
            within=within,
        )
        return recorded[0]

    async def start_run(self, command: RunRequested) -> CommandRecord:
        settings = self._res.settings
        async with self._res.outbox.transaction() as uow:
            schema_id = command.schema_id
            if command.template is not None:
                assert command.project_id is not None  # answers.run_problem checked it
                schema_id = await self._template_schema(uow, command)
            assert schema_id is not None
            body = RunCreate(
                schema_id=schema_id,
                document_ids=command.document_ids,
                project_id=None if command.document_ids else command.project_id,
                policy_overrides=answers.policy_overrides(command),
            )
            run_id = await create_run_in(
                uow,
                account_id=command.account_id,
                body=body,
                max_active_runs=settings.max_active_runs,
            )
            project_id = await uow.conn.fetchval(Q.run_project, run_id)
            record = CommandRecord(
                account_id=command.account_id,
                kind=CommandKind.RUN,
                command_key=command.command_key,
                correlation_id=command.correlation_id,
                project_id=project_id,
                run_id=run_id,
                schema_id=schema_id,
            )
            await _insert(uow, record, answered=False)
            uow.emit(answers.accepted(record))
        return record

    async def _template_schema(self, uow: UnitOfWork, command: RunRequested) -> UUID:
        """The template's schema version with these parameters: a new schema the first time,
        then a new version of it (or the latest, when the content is the same)."""
        assert command.template is not None and command.project_id is not None
        conn, choice = uow.conn, command.template
        name = choice.name or choice.slug
        latest = await conn.fetchrow(
            Q.latest_schema_version, command.project_id, name, command.account_id
        )
        row = await save_from_template(
            conn,
            account_id=command.account_id,
            template=await find_template(conn, command.account_id, choice.slug),
            project_id=command.project_id,
            name=name,
            parameters=choice.parameters,
            base_version=None if latest is None else latest["version"],
            limits=self._res.settings.schema_limits,
        )
        schema_id: UUID = row["id"]
        return schema_id

    async def answer(self, answer: CommandAnswer) -> None:
        async with self._res.outbox.transaction() as uow:
            uow.emit(answer)

    async def follow_up(self, event: Message) -> int:
        async with self._res.outbox.transaction() as uow:
            if isinstance(event, DocumentConverted | DocumentFailed):
                rows = await uow.conn.fetch(Q.answer_document_commands, event.document_id)
            elif isinstance(event, RunCompleted | RunCancelled):
                rows = await uow.conn.fetch(Q.answer_run_commands, event.run_id)
            else:
                return 0
            for row in rows:
                reply = answers.follow_up(event, _record(row))
                if reply is not None:
                    uow.emit(reply)
        return len(rows)

"""Documents and blocks in Postgres; each state change commits with the message it causes."""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from uuid import UUID

from strata.contracts.blocks import BlockDraft
from strata.contracts.documents import DocumentErrorCode
from strata.contracts.messages import DocumentConverted, DocumentFailed
from strata.runtime.db import Queries
from strata.runtime.service import ServiceRuntime
from strata.runtime.tracing import current_traceparent

QUERIES_PATH = Path(__file__).with_name("queries.sql")


@dataclass(frozen=True)
class DocumentRow:
    id: UUID
    status: str
    blob_key: str
    source_format: str | None
    filename: str


class DocumentStore(Protocol):
    async def load(self, document_id: UUID) -> DocumentRow | None: ...

    async def complete(
        self, document_id: UUID, blocks: list[BlockDraft], *, conversion_path: str
    ) -> bool: ...

    async def fail(self, document_id: UUID, code: DocumentErrorCode, message: str) -> bool: ...


class PgDocumentStore:
    def __init__(self, runtime: ServiceRuntime, queries: Queries | None = None) -> None:
        self.runtime = runtime
        self.q = queries or Queries.load(QUERIES_PATH)

    async def load(self, document_id: UUID) -> DocumentRow | None:
        async with self.runtime.pool.acquire() as conn:
            row = await conn.fetchrow(self.q.get_document, document_id)
        return None if row is None else DocumentRow(**dict(row))

    async def complete(
        self, document_id: UUID, blocks: list[BlockDraft], *, conversion_path: str
    ) -> bool:
        """Store the blocks and mark the document ready; False if it was no longer converting."""
        async with self.runtime.outbox.transaction() as unit:
            # The update comes first: its row lock makes a concurrent duplicate wait, then miss.
            done = await unit.conn.fetchrow(
                self.q.mark_ready, document_id, len(blocks), conversion_path, current_traceparent()
            )
            if done is None:
                return False
            await unit.conn.executemany(
                self.q.insert_block, [_record(document_id, i, b) for i, b in enumerate(blocks)]
            )
            unit.emit(
                DocumentConverted(
                    document_id=document_id,
                    block_count=len(blocks),
                    account_id=done["account_id"],
                    project_id=done["project_id"],
                ),
            )
        return True

    async def fail(self, document_id: UUID, code: DocumentErrorCode, message: str) -> bool:
        async with self.runtime.outbox.transaction() as unit:
            done = await unit.conn.fetchrow(self.q.mark_failed, document_id, code.value, message)
            if done is None:
                return False
            unit.emit(
                DocumentFailed(
                    document_id=document_id,
                    error_code=code,
                    error_message=message,
                    account_id=done["account_id"],
                    project_id=done["project_id"],
                ),
            )
        return True


def _record(document_id: UUID, index: int, block: BlockDraft) -> tuple[object, ...]:
    return (
        document_id,
        index,
        block.block_type.value,
        block.text,
        block.section_path,
        block.page_start,
        block.page_end,
        block.bbox,
        block.table.model_dump() if block.table is not None else None,
        block.token_estimate,
        block.list_level,
        block.ocr_confidence,
        block.line_boxes,
    )

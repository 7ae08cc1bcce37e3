"""Documents in Postgres; each state change commits with the message it causes (outbox)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from uuid import UUID

from strata.contracts.documents import DocumentErrorCode
from strata.contracts.messages import ConversionRequested, DocumentFailed
from strata.runtime.db import Queries
from strata.runtime.service import ServiceRuntime

QUERIES_PATH = Path(__file__).with_name("queries.sql")


@dataclass(frozen=True)
class DocumentRow:
    id: UUID
    status: str
    filename: str
    sha256: str
    byte_size: int
    blob_key: str


class DocumentStore(Protocol):
    async def load(self, document_id: UUID) -> DocumentRow | None: ...

    async def accept(self, document_id: UUID, source_format: str) -> bool: ...

    async def reject(
        self,
        document_id: UUID,
        code: DocumentErrorCode,
        message: str,
        *,
        source_format: str | None = None,
    ) -> bool: ...


class PgDocumentStore:
    def __init__(self, runtime: ServiceRuntime, queries: Queries | None = None) -> None:
        self.runtime = runtime
        self.q = queries or Queries.load(QUERIES_PATH)

    async def load(self, document_id: UUID) -> DocumentRow | None:
        async with self.runtime.pool.acquire() as conn:
            row = await conn.fetchrow(self.q.get_document, document_id)
        return None if row is None else DocumentRow(**dict(row))

    async def accept(self, document_id: UUID, source_format: str) -> bool:
        """Mark the document converting and request its conversion; False if it had moved on."""
        async with self.runtime.outbox.transaction() as unit:
            done = await unit.conn.fetchval(self.q.mark_converting, document_id, source_format)
            if done is None:
                return False
            unit.emit(
                ConversionRequested(document_id=document_id, source_format=source_format),
            )
        return True

    async def reject(
        self,
        document_id: UUID,
        code: DocumentErrorCode,
        message: str,
        *,
        source_format: str | None = None,
    ) -> bool:
        async with self.runtime.outbox.transaction() as unit:
            done = await unit.conn.fetchval(
                self.q.mark_failed, document_id, code.value, message, source_format
            )
            if done is None:
                return False
            unit.emit(
                DocumentFailed(document_id=document_id, error_code=code, error_message=message),
            )
        return True

"""A converted document's ordered units, with provenance."""

from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field


class BlockType(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    TABLE = "table"
    CODE = "code"
    CAPTION = "caption"
    FORMULA = "formula"
    QUOTE = "quote"


class TableCells(BaseModel):
    """A table as rows of cell texts; the first row is the header when `has_header`."""

    rows: list[list[str]]
    has_header: bool = True

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)


class BlockDraft(BaseModel):
    """A block as a converter produces it, before it belongs to a stored document."""

    block_type: BlockType
    text: str
    section_path: list[str] = Field(default_factory=list)
    page_start: int | None = None
    page_end: int | None = None
    bbox: list[float] | None = None
    table: TableCells | None = None
    token_estimate: int = 0


class Block(BlockDraft):
    document_id: UUID
    block_index: int

    @property
    def block_uid(self) -> str:
        return make_block_uid(self.document_id, self.block_index)


def make_block_uid(document_id: UUID | str, block_index: int) -> str:
    return f"{document_id}:{block_index}"


def parse_block_uid(block_uid: str) -> tuple[UUID, int]:
    """Split `<document_id>:<block_index>`; raises ValueError on anything else."""
    document_id, _, index = block_uid.rpartition(":")
    return UUID(document_id), int(index)

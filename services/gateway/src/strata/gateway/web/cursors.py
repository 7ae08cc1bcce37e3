"""Page cursors. Pure: no I/O.

An overlay cursor names the last (document_id, block_index) a page returned. It is opaque to
clients, but kept human-readable (`<uuid>:<index>`, the block_uid) so it is easy to debug.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from strata.contracts.blocks import make_block_uid, parse_block_uid

R = TypeVar("R")


class InvalidCursorError(ValueError):
    pass


def encode_overlay_cursor(document_id: UUID, block_index: int) -> str:
    return make_block_uid(document_id, block_index)


def decode_overlay_cursor(cursor: str | None) -> tuple[UUID, int] | tuple[None, None]:
    if cursor is None or cursor == "":
        return None, None
    try:
        document_id, block_index = parse_block_uid(cursor)
    except ValueError:
        raise InvalidCursorError(f"cursor {cursor!r} is not one this API gave out") from None
    if block_index < 0:
        raise InvalidCursorError(f"cursor {cursor!r} is not one this API gave out")
    return document_id, block_index


def split_page(rows: Sequence[R], limit: int) -> tuple[list[R], bool]:
    """Pages are fetched with one extra row: its presence says whether another page follows."""
    return list(rows[:limit]), len(rows) > limit


def encode_time_cursor(created_at: datetime, row_id: UUID) -> str:
    """A (created_at, id) cursor for lists ordered newest first."""
    return f"{created_at.isoformat()}~{row_id}"


def decode_time_cursor(cursor: str | None) -> tuple[datetime, UUID] | tuple[None, None]:
    if cursor is None or cursor == "":
        return None, None
    stamp, _, row_id = cursor.partition("~")
    try:
        created_at = datetime.fromisoformat(stamp)
        parsed = UUID(row_id)
    except ValueError:
        raise InvalidCursorError(f"cursor {cursor!r} is not one this API gave out") from None
    if created_at.tzinfo is None:
        raise InvalidCursorError(f"cursor {cursor!r} is not one this API gave out")
    return created_at, parsed


# A review-queue cursor names the last block a page returned and its flag count: `<n>:<uid>`.
NIL_DOCUMENT = UUID(int=0)  # sorts before every document id: "from the start"


def encode_queue_cursor(flag_count: int, document_id: UUID, block_index: int) -> str:
    return f"{flag_count}:{make_block_uid(document_id, block_index)}"


def decode_queue_cursor(cursor: str | None) -> tuple[int, UUID, int] | None:
    """(flag_count, document_id, block_index) of the last block seen, None for the first page."""
    if cursor is None or cursor == "":
        return None
    count, _, uid = cursor.partition(":")
    if not (count.isdigit() and len(count) <= 6):  # a flag count, never near int4's range
        raise InvalidCursorError(f"cursor {cursor!r} is not one this API gave out")
    document_id, block_index = decode_overlay_cursor(uid)
    if document_id is None or block_index is None:
        raise InvalidCursorError(f"cursor {cursor!r} is not one this API gave out")
    return int(count), document_id, block_index

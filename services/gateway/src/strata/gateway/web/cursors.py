"""Page cursors. Pure: no I/O.

Every cursor a client sends is parsed here and only here, so a value Postgres cannot hold (an
index past int32, an id past int64, a malformed uuid) is a `400 invalid_cursor` before any
query runs, and an error never echoes more than a short prefix of what was sent.

- overlay cursor: the last (document_id, block_index) a page returned, human-readable as the
  block_uid (`<uuid>:<index>`), so it is easy to debug;
- index cursor: the last block_index or schema version (an int32, as in the tables);
- id cursor: the last bigint id (policy audit);
- keyset cursor: the last (created_at, id) of a newest-first list, or a name, opaque (base64url).
"""

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from strata.contracts.blocks import make_block_uid

R = TypeVar("R")
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
MAX_CURSOR_CHARS = 1024  # longer than any cursor we give out
_SHOWN_CHARS = 40


class InvalidCursorError(ValueError):
    def __init__(self, cursor: str) -> None:
        shown = cursor if len(cursor) <= _SHOWN_CHARS else cursor[:_SHOWN_CHARS] + "…"
        super().__init__(f"cursor {shown!r} is not one this API gave out")


def _checked(cursor: str | None) -> str | None:
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursorError(cursor)
    return cursor


def _bounded_int(cursor: str, *, low: int, high: int) -> int:
    # int() accepts " 1", "1_000" and "+1"; a cursor we gave out is plain digits.
    text = cursor[1:] if cursor.startswith("-") else cursor
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise InvalidCursorError(cursor)
    value = int(cursor)
    if not low <= value <= high:
        raise InvalidCursorError(cursor)
    return value


def encode_overlay_cursor(document_id: UUID, block_index: int) -> str:
    return make_block_uid(document_id, block_index)


def decode_overlay_cursor(cursor: str | None) -> tuple[UUID, int] | tuple[None, None]:
    if (text := _checked(cursor)) is None:
        return None, None
    document_id, _, index = text.rpartition(":")
    try:
        parsed_id = UUID(document_id)
    except ValueError:
        raise InvalidCursorError(text) from None
    return parsed_id, _bounded_int(index, low=0, high=INT32_MAX)


def decode_index_cursor(cursor: str | None) -> int:
    """The last block_index (or version) seen; -1 (before the first) when there is no cursor."""
    if (text := _checked(cursor)) is None:
        return -1
    return _bounded_int(text, low=-1, high=INT32_MAX)


def decode_id_cursor(cursor: str | None) -> int | None:
    if (text := _checked(cursor)) is None:
        return None
    return _bounded_int(text, low=1, high=INT64_MAX)


def encode_keyset(created_at: datetime, row_id: UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_keyset(cursor: str | None) -> tuple[datetime, UUID] | tuple[None, None]:
    if (text := _checked(cursor)) is None:
        return None, None
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        parsed_at = datetime.fromisoformat(at)
        if parsed_at.tzinfo is None:  # we only give out aware times
            raise ValueError(at)
        return parsed_at, UUID(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidCursorError(text) from None


def encode_name_cursor(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")


def decode_name_cursor(cursor: str | None) -> str | None:
    if (text := _checked(cursor)) is None:
        return None
    try:
        name = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursorError(text) from None
    if "\x00" in name:
        raise InvalidCursorError(text)
    return name


def next_keyset(page: Sequence[Any], more: bool) -> str | None:
    """The cursor after the last row of a newest-first page (rows with created_at and id)."""
    return encode_keyset(page[-1]["created_at"], page[-1]["id"]) if more else None


def split_page(rows: Sequence[R], limit: int) -> tuple[list[R], bool]:
    """Pages are fetched with one extra row: its presence says whether another page follows."""
    return list(rows[:limit]), len(rows) > limit


def encode_time_cursor(created_at: datetime, row_id: UUID) -> str:
    """A (created_at, id) cursor for lists ordered newest first."""
    return f"{created_at.isoformat()}~{row_id}"


def decode_time_cursor(cursor: str | None) -> tuple[datetime, UUID] | tuple[None, None]:
    if (text := _checked(cursor)) is None:
        return None, None
    stamp, _, row_id = text.partition("~")
    try:
        created_at = datetime.fromisoformat(stamp)
        parsed = UUID(row_id)
    except ValueError:
        raise InvalidCursorError(text) from None
    if created_at.tzinfo is None:
        raise InvalidCursorError(text)
    return created_at, parsed


# A review-queue cursor names the last block a page returned and its flag count: `<n>:<uid>`.
NIL_DOCUMENT = UUID(int=0)  # sorts before every document id: "from the start"


def encode_queue_cursor(flag_count: int, document_id: UUID, block_index: int) -> str:
    return f"{flag_count}:{make_block_uid(document_id, block_index)}"


def decode_queue_cursor(cursor: str | None) -> tuple[int, UUID, int] | None:
    """(flag_count, document_id, block_index) of the last block seen, None for the first page."""
    if (text := _checked(cursor)) is None:
        return None
    count, _, uid = text.partition(":")
    if not (count.isascii() and count.isdigit() and len(count) <= 6):  # a flag count
        raise InvalidCursorError(text)
    document_id, block_index = decode_overlay_cursor(uid)
    if document_id is None or block_index is None:
        raise InvalidCursorError(text)
    return int(count), document_id, block_index

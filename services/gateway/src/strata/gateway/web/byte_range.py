"""The one byte range of a `Range` header a download serves (pure).

A header this server does not serve (several ranges, another unit, malformed) is ignored and
the whole file sent, as RFC 9110 §14.2 allows; a range that starts past the end is refused
(416) so a client resuming a finished download learns the size."""

import re
from dataclasses import dataclass

_ONE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_MAX_DIGITS = 19  # past int64: not a real offset, so not a range worth reading


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # exclusive

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end - 1}/{size}"


class RangeNotSatisfiableError(Exception):
    pass


def requested_range(header: str | None, size: int) -> ByteRange | None:
    """The range to send, or None for the whole file."""
    match = _ONE_RANGE.fullmatch((header or "").strip())
    if match is None:
        return None
    first, last = match.groups()
    if (not first and not last) or len(first) > _MAX_DIGITS or len(last) > _MAX_DIGITS:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiableError()
        return ByteRange(max(size - suffix, 0), size) if size else None
    start = int(first)
    end = size if not last else min(int(last) + 1, size)
    if last and int(last) < start:
        return None  # invalid: ignored
    if start >= size:
        raise RangeNotSatisfiableError()
    return ByteRange(start, end)

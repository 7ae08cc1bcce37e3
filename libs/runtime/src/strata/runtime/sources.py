"""Reading a document from a blob URI an integration names (`ingest.requested`).

One small interface per URI scheme (`SourceReader`: async chunks, never the whole file in
memory), chosen by `Sources`. `file://` is shipped: confined to the import roots the operator
configured. An `s3://` reader plugs in the same way (`Sources({"file": …, "s3": …})`).

The file reader refuses, with stable codes, anything that could leave a root: `..` or `.`
segments, and any symbolic link below the root (each directory is opened with `O_NOFOLLOW`
relative to the one above, so a link swapped in while we walk is refused too, not followed).
Only regular files are read (a FIFO or a device would block or never end).
"""

import asyncio
import errno
import os
import stat
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from strata.runtime.errors import StrataError

CHUNK_BYTES = 1024 * 1024


class SourceError(StrataError):
    """The source cannot be read."""

    code = "source_unreadable"


class InvalidSourceUriError(SourceError):
    """The source URI is not one this deployment can read."""

    code = "invalid_source_uri"


class UnsupportedSourceError(SourceError):
    """No reader is configured for this URI scheme."""

    code = "unsupported_source"


class SourceNotAllowedError(SourceError):
    """The source is outside every import root."""

    code = "source_not_allowed"


class SourceNotFoundError(SourceError):
    """No file at the source URI."""

    code = "source_not_found"


class SourceUnavailableError(SourceError):
    """The store behind the source URI does not answer; the command is retried later."""

    code = "source_unavailable"
    retryable = True


@dataclass(frozen=True)
class SourceUri:
    scheme: str
    netloc: str
    path: str
    text: str

    @property
    def name(self) -> str:
        """The last part of the path: a default filename."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]


def parse_source_uri(text: str) -> SourceUri:
    if any(ord(c) < 0x20 for c in text):
        raise InvalidSourceUriError("the source URI contains control characters")
    parts = urlsplit(text)
    if not parts.scheme or parts.query or parts.fragment:
        raise InvalidSourceUriError("the source URI must be scheme://location, with no query")
    try:
        path = unquote(parts.path, errors="strict")
    except UnicodeDecodeError:
        raise InvalidSourceUriError("the source URI's path is not UTF-8") from None
    if "\x00" in path:
        raise InvalidSourceUriError("the source URI contains a NUL character")
    return SourceUri(parts.scheme.lower(), parts.netloc, path, text)


class SourceReader(Protocol):
    """Reads one scheme's URIs. `chunks` raises a SourceError before its first chunk when the
    source is refused or missing, so nothing is stored for it: a stable code the command is
    rejected with, or SourceUnavailableError (retryable) when the store is briefly away."""

    def chunks(self, uri: SourceUri) -> AsyncIterator[bytes]: ...


class Sources:
    """The reader of each configured scheme."""

    def __init__(self, readers: Mapping[str, SourceReader]) -> None:
        self._readers = dict(readers)

    def reader_for(self, uri: SourceUri) -> SourceReader:
        reader = self._readers.get(uri.scheme)
        if reader is None:
            known = ", ".join(sorted(self._readers)) or "none"
            raise UnsupportedSourceError(f"no reader for {uri.scheme}:// (configured: {known})")
        return reader


class FileSource:
    """`file:///absolute/path` under one of `roots` (absolute, existing directories)."""

    def __init__(self, roots: Sequence[Path]) -> None:
        # Both spellings of a root match (as configured, and with its own links resolved): a
        # root may itself be reached through a link (/tmp on some systems); below it, none.
        self._roots = [(Path(os.path.abspath(r)), Path(os.path.realpath(r))) for r in roots]

    async def chunks(self, uri: SourceUri) -> AsyncIterator[bytes]:
        fd = self._open(uri)
        try:
            while chunk := await asyncio.to_thread(os.read, fd, CHUNK_BYTES):
                yield chunk
        finally:
            os.close(fd)

    def _open(self, uri: SourceUri) -> int:
        if uri.netloc not in ("", "localhost"):
            raise InvalidSourceUriError("a file:// URI names no host: file:///absolute/path")
        if not uri.path.startswith("/"):
            raise InvalidSourceUriError("a file:// URI needs an absolute path")
        segments = uri.path.split("/")[1:]
        if any(s in ("..", ".") for s in segments):
            raise SourceNotAllowedError("the source path may not contain '.' or '..' segments")
        root, relative = self._root_of(Path(uri.path))
        if not relative:
            raise SourceNotAllowedError("the source is an import root, not a file in one")
        return _open_beneath(root, relative)

    def _root_of(self, path: Path) -> tuple[Path, list[str]]:
        for configured, real in self._roots:
            for spelling in (configured, real):
                if path.is_relative_to(spelling):
                    return real, [p for p in path.relative_to(spelling).parts if p]
        raise SourceNotAllowedError("the source is outside every import root")


def _open_beneath(root: Path, parts: list[str]) -> int:
    """The file at root/parts, opened without following any link, as a regular file."""
    nofollow = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        current = os.open(root, nofollow | os.O_DIRECTORY)
    except OSError:
        raise SourceNotFoundError("the import root is not readable") from None
    try:
        for part in parts[:-1]:
            following = _step(current, part, nofollow | os.O_DIRECTORY)
            os.close(current)
            current = following
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        fd = _step(current, parts[-1], nofollow | os.O_NONBLOCK)
    finally:
        os.close(current)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise SourceNotAllowedError("the source is not a regular file")
    os.set_blocking(fd, True)
    return fd


def _step(directory: int, name: str, flags: int) -> int:
    try:
        return os.open(name, flags, dir_fd=directory)
    except FileNotFoundError:
        raise SourceNotFoundError() from None
    except (NotADirectoryError, IsADirectoryError):
        if stat.S_ISLNK(os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode):
            raise SourceNotAllowedError("the source path goes through a symbolic link") from None
        raise SourceNotAllowedError("the source is not a regular file") from None
    except OSError as exc:
        # ELOOP: O_NOFOLLOW met a symbolic link; refused wherever it points.
        if exc.errno == errno.ELOOP:
            raise SourceNotAllowedError("the source path goes through a symbolic link") from None
        raise SourceError(f"the source cannot be opened ({exc.strerror})") from None

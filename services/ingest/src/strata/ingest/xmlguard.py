"""Find a DTD or entity declaration anywhere in an XML part, whatever its name or encoding.

OOXML never needs a DTD, so any `<!DOCTYPE` or `<!ENTITY` is refused (billion laughs, XXE).
A parser reads the whole part in the encoding the part declares (or its BOM, or its byte
pattern: UTF-16 without a BOM is legal XML), so the guard does the same: every part, read as a
stream in chunks, decoded incrementally in that encoding, with an overlap so a declaration
split across chunks is still seen. A part whose declared encoding Python does not know is
refused too: what we cannot read, we cannot vouch for.
"""

import codecs
import re
from typing import IO

CHUNK = 1024 * 1024
_OVERLAP = 64
_DECL = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
# Parts that start like these are media, which no XML parser accepts; skipping them saves
# decoding megabytes of images as text.
_BINARY_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0", b"\x01\x00\x00\x00", b"\xd7\xcd\xc6\x9a", b"%PDF", b"RIFF",
)  # fmt: skip


class UnknownEncodingError(ValueError):
    """The part declares an encoding this guard cannot decode."""


def sniff_encoding(head: bytes) -> str | None:  # noqa: PLR0911
    """The encoding an XML parser would use for a part starting with `head`; None = media."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(_BINARY_MAGIC):
        return None
    sample = head[:256]
    if len(sample) >= 4 and sample.count(0) >= len(sample) // 2:
        # No BOM but NULs in a fixed pattern: UTF-32 or UTF-16, the side the NULs fall on
        # telling the byte order.
        if sample.count(0) >= len(sample) * 3 // 4 - 2:
            return "utf-32-be" if sample[0] == 0 else "utf-32-le"
        return "utf-16-be" if sample[0] == 0 else "utf-16-le"
    declared = _ENCODING.match(head)
    if declared is None:
        return "utf-8"
    name = declared.group(1).decode("ascii")
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UnknownEncodingError(name) from None


def declares_dtd(stream: IO[bytes]) -> bool:
    """True if the whole part, decoded as a parser would, holds a DTD or entity declaration."""
    head = stream.read(CHUNK)
    encoding = sniff_encoding(head)
    if encoding is None:
        return False
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    tail = ""
    chunk = head
    while chunk:
        text = tail + decoder.decode(chunk)
        if _DECL.search(text):
            return True
        tail = text[-_OVERLAP:]
        chunk = stream.read(CHUNK)
    return bool(_DECL.search(tail + decoder.decode(b"", final=True)))

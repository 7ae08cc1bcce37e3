"""Bytes to text for the text formats: UTF-8 (with or without BOM), UTF-16 with a BOM, else a
single-byte legacy encoding (Windows-1252, else Latin-1), as CSV exports already were.

Ingest accepted the file as text only if those legacy bytes hold few control characters, so
the fallback here reads what ingest saw rather than failing the document with `decode_error`.
"""

import codecs
import re

from strata.conversion.errors import DecodeFailedError

# C0 controls other than tab, LF, VT, FF, CR; DEL; C1 controls (what text never holds much of).
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f]")
MAX_CONTROL_SHARE = 0.02


def decode_text(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16":
            raise DecodeFailedError(
                f"the file is not valid UTF-16 text (undecodable bytes at offset {exc.start})"
            ) from None
        text = _legacy(data)
    # Postgres text cannot hold NUL, and text files do not contain it.
    if "\x00" in text:
        raise DecodeFailedError("the file contains NUL characters, so it is not plain text")
    return text


def _legacy(data: bytes) -> str:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        text = data.decode("latin-1")
    if len(_CONTROL.findall(text)) > len(text) * MAX_CONTROL_SHARE:
        raise DecodeFailedError(
            "the file is neither UTF-8 nor UTF-16 text, and too many of its bytes are control "
            "characters to read it as Windows-1252 or Latin-1"
        )
    return text

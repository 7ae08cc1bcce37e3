"""Bytes to text for the text formats: UTF-8 (with or without BOM) or UTF-16 with a BOM."""

import codecs

from strata.conversion.errors import DecodeFailedError


def decode_text(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encoding, label = "utf-8-sig", "UTF-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, label = "utf-16", "UTF-16"
    else:
        encoding, label = "utf-8", "UTF-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeFailedError(
            f"the file is not valid {label} text (undecodable bytes at offset {exc.start})"
        ) from None
    # Postgres text cannot hold NUL, and text files do not contain it.
    if "\x00" in text:
        raise DecodeFailedError("the file contains NUL characters, so it is not plain text")
    return text

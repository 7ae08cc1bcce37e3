"""CSV exports to table blocks. The dialect (comma, semicolon, tab, pipe) and the encoding are
detected from the bytes; ragged rows are padded, never fatal; rows and cell sizes are capped
while reading, before anything large is built."""

import codecs
import csv
import io
from collections import Counter

from charset_normalizer import from_bytes

from strata.contracts.blocks import BlockDraft
from strata.conversion.errors import (
    CellTooLargeError,
    DecodeFailedError,
    TooManyRowsError,
)
from strata.conversion.limits import Limits
from strata.conversion.tables import table_blocks

DELIMITERS = ",;\t|"
SAMPLE_CHARS = 64 * 1024


def decode_csv(data: bytes) -> str:
    """UTF-8/UTF-16 by BOM, then UTF-8, then the best guess of charset-normalizer (cp1252 and
    friends are common in spreadsheet exports)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="strict"))
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[: 1024 * 1024]).best()
    if best is None:
        raise DecodeFailedError("the CSV file's text encoding could not be recognised")
    try:
        return _checked(data.decode(best.encoding))
    except (UnicodeDecodeError, LookupError):
        raise DecodeFailedError(
            f"the CSV file is not valid {best.encoding} text throughout"
        ) from None


def _checked(text: str) -> str:
    if "\x00" in text:
        raise DecodeFailedError("the file contains NUL characters, so it is not CSV text")
    return text


def sniff_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        pass
    # The sniffer gives up on ragged files: take the delimiter that is most often the same count
    # on the first lines.
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    best, best_score = ",", -1
    for delimiter in DELIMITERS:
        counts = Counter(ln.count(delimiter) for ln in lines)
        count, freq = max(counts.items(), key=lambda kv: (kv[1], kv[0]), default=(0, 0))
        score = freq * 1000 + count if count else -1
        if score > best_score:
            best, best_score = delimiter, score

    class Guessed(csv.excel):
        delimiter = best

    return Guessed


def read_rows(text: str, *, limits: Limits) -> list[list[str]]:
    dialect = sniff_dialect(text[:SAMPLE_CHARS])
    # The csv module refuses a field over its limit while it reads, so a 10-million-character
    # cell never becomes a string of that size here.
    old = csv.field_size_limit(limits.max_cell_chars)
    try:
        rows: list[list[str]] = []
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            if len(rows) >= limits.max_rows:
                raise TooManyRowsError(
                    f"the CSV file has more than {limits.max_rows:,} rows; "
                    "this deployment converts up to that many"
                )
            rows.append(row)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise CellTooLargeError(
                f"a cell holds more than {limits.max_cell_chars:,} characters; "
                "this deployment accepts up to that many per cell"
            ) from None
        raise DecodeFailedError(f"the CSV file could not be read ({exc})") from None
    finally:
        csv.field_size_limit(old)
    return rows


def csv_to_blocks(data: bytes, *, limits: Limits) -> list[BlockDraft]:
    rows = read_rows(decode_csv(data), limits=limits)
    return table_blocks(
        rows, has_header=True, section_path=[], rows_per_block=limits.table_rows_per_block
    )

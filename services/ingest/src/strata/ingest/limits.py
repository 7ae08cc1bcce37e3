"""What ingest refuses before conversion ever sees a file; plain so checks stay pure."""

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class IngestLimits:
    max_bytes: int = 50 * MIB
    max_zip_entries: int = 5_000
    max_uncompressed_bytes: int = 512 * MIB
    # Uncompressed / compressed, for any entry over `ratio_floor_bytes` and for the whole package.
    max_compression_ratio: float = 100.0
    ratio_floor_bytes: int = MIB
    max_slides: int = 500
    max_sheets: int = 100
    # Element nesting of an HTML page (real pages stay under ~60; browsers give up near 512).
    max_html_depth: int = 256

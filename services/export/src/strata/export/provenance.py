"""Where a row's values come from: the block, its document, its run, its review (pure).

Rows arrive with ids as text and values as JSON text (the store asks Postgres for them so), so
building a row costs no UUID objects and, for JSONL, no JSON decoding at all.
"""

import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=4096)  # blocks share few sections: most rows hit the cache
def _section_json(section_path: tuple[str, ...]) -> str:
    return json.dumps(list(section_path), ensure_ascii=False)


def section_text(section_path: list[str] | None) -> str:
    # JSON, not "A > B": a heading may contain any separator we would pick.
    return _section_json(tuple(section_path or ()))


def provenance_cells(row: Any, source: str | None) -> list[Any]:
    """Cells in the order of `columns.PROVENANCE_COLUMNS`."""
    flags = row["flags"]
    return [
        f"{row['document_id']}:{row['block_index']}",  # the block_uid, as contracts spell it
        row["document_id"],
        row["filename"],
        row["page_start"],
        section_text(row["section_path"]),
        row["block_type"],
        row["review_status"],
        ",".join(flags) if flags else "",  # flag codes are snake_case words: commas are safe
        row["run_id"],
        source,
    ]


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def jsonl_line(row: Any, source: str | None, values_json: str | None) -> str:
    """One JSONL object: provenance, the block's text, then the values exactly as stored (the
    JSON text is spliced in, never decoded and re-encoded)."""
    head = _encode(
        {
            "block_uid": f"{row['document_id']}:{row['block_index']}",
            "document_id": row["document_id"],
            "filename": row["filename"],
            "block_index": row["block_index"],
            "page_start": row["page_start"],
            "page_end": row["page_end"],
            "section_path": list(row["section_path"] or ()),
            "block_type": row["block_type"],
            "text": row["text"],
            "run_id": row["run_id"],
            "status": row["status"],
            "review_status": row["review_status"],
            "flags": list(row["flags"] or ()),
            "value_source": source,
        }
    )
    return f'{head[:-1]},"values":{values_json or "null"}}}\n'

"""Where a row's values come from: the block, its document, its run, its review (pure)."""

import json
from typing import Any

from strata.contracts.blocks import make_block_uid


def section_text(section_path: list[str] | None) -> str:
    # JSON, not "A > B": a heading may contain any separator we would pick.
    return json.dumps(list(section_path or []), ensure_ascii=False)


def provenance_cells(row: dict[str, Any], source: str | None) -> list[Any]:
    """Cells in the order of `columns.PROVENANCE_COLUMNS`."""
    return [
        make_block_uid(row["document_id"], row["block_index"]),
        str(row["document_id"]),
        row["filename"],
        row["page_start"],
        section_text(row["section_path"]),
        row["block_type"],
        row["review_status"],
        ",".join(row["flags"] or ()),  # flag codes are snake_case words: a comma is unambiguous
        str(row["run_id"]),
        source,
    ]


def record(row: dict[str, Any], source: str | None, values: dict[str, Any] | None) -> dict:
    """One JSONL object: provenance, the block's text, and the values as the model gave them."""
    return {
        "block_uid": make_block_uid(row["document_id"], row["block_index"]),
        "document_id": str(row["document_id"]),
        "filename": row["filename"],
        "block_index": row["block_index"],
        "page_start": row["page_start"],
        "page_end": row["page_end"],
        "section_path": list(row["section_path"] or []),
        "block_type": row["block_type"],
        "text": row["text"],
        "run_id": str(row["run_id"]),
        "status": row["status"],
        "review_status": row["review_status"],
        "flags": list(row["flags"] or []),
        "value_source": source,
        "values": values,
    }

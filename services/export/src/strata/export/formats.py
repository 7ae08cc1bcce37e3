"""Export row formats (pure)."""

import json
from typing import Any

from strata.contracts.blocks import make_block_uid


def jsonl_line(row: dict[str, Any]) -> str:
    record = {
        "block_uid": make_block_uid(row["document_id"], row["block_index"]),
        "document_id": str(row["document_id"]),
        "block_index": row["block_index"],
        "block_type": row["block_type"],
        "section_path": list(row["section_path"] or []),
        "page_start": row["page_start"],
        "page_end": row["page_end"],
        "text": row["text"],
        "status": row["status"],
        "review_status": row["review_status"],
        "staged": row["staged"],
        "confirmed": row["confirmed"],
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"

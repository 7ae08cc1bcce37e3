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


_str = json.encoder.encode_basestring  # the C encoder of one JSON string


def _num(value: int | None) -> str:
    return "null" if value is None else str(value)


def jsonl_line(row: Any, source: str | None, values_json: str | None) -> str:
    """One JSONL object: provenance, the block's text, then the values exactly as stored (the
    JSON text is spliced in, never decoded and re-encoded). Built by hand rather than with
    `json.dumps` of a dict: it is the hot loop of a million-row export, and every free-text
    field still goes through the standard library's JSON string encoder."""
    document_id, index, flags = row["document_id"], row["block_index"], row["flags"]
    return (
        f'{{"block_uid":"{document_id}:{index}","document_id":"{document_id}",'
        f'"filename":{_str(row["filename"])},"block_index":{index},'
        f'"page_start":{_num(row["page_start"])},"page_end":{_num(row["page_end"])},'
        f'"section_path":{section_text(row["section_path"])},'
        f'"block_type":{_str(row["block_type"])},"text":{_str(row["text"])},'
        f'"run_id":"{row["run_id"]}","status":{_str(row["status"])},'
        f'"review_status":{_str(row["review_status"])},'
        f'"flags":{json.dumps(list(flags), ensure_ascii=False) if flags else "[]"},'
        f'"value_source":{"null" if source is None else _str(source)},'
        f'"values":{values_json or "null"}}}\n'
    )

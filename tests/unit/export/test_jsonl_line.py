"""The hand-built JSONL line is valid JSON whatever the text holds, on exactly one line."""

import json

from strata.export.provenance import jsonl_line

ROW = {
    "run_id": "r1",
    "document_id": "d1",
    "filename": 'a"b\n\u2028é\\',
    "block_index": 3,
    "page_start": None,
    "page_end": 2,
    "section_path": ["x", 'y"z', "\t"],
    "block_type": "paragraph",
    "text": "line\nbreak \x00 \x1f </script>",
    "status": "ai_complete",
    "review_status": "edited",
    "flags": ["required_null", "enum_mismatch"],
}


def test_every_field_round_trips_and_values_are_spliced_as_stored():
    line = jsonl_line(ROW, "confirmed", '{"a": [1, 2], "b": {"c": null}}')
    assert line.endswith("\n") and line.count("\n") == 1
    record = json.loads(line)
    for key in (
        "filename",
        "block_index",
        "page_start",
        "page_end",
        "section_path",
        "text",
        "review_status",
        "flags",
        "run_id",
        "document_id",
    ):
        assert record[key] == ROW[key], key
    assert record["block_uid"] == "d1:3" and record["value_source"] == "confirmed"
    assert record["values"] == {"a": [1, 2], "b": {"c": None}}


def test_no_values():
    record = json.loads(jsonl_line(ROW | {"flags": []}, None, None))
    assert record["values"] is None and record["value_source"] is None and record["flags"] == []

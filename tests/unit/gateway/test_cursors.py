from uuid import uuid4

import pytest

from strata.gateway.web.cursors import (
    InvalidCursorError,
    decode_overlay_cursor,
    decode_queue_cursor,
    encode_overlay_cursor,
    encode_queue_cursor,
    split_page,
)


def test_overlay_cursor_round_trips():
    document_id = uuid4()
    cursor = encode_overlay_cursor(document_id, 12)
    assert cursor == f"{document_id}:12"
    assert decode_overlay_cursor(cursor) == (document_id, 12)


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_means_from_the_start(cursor):
    assert decode_overlay_cursor(cursor) == (None, None)


@pytest.mark.parametrize("cursor", ["nope", "1:2", f"{uuid4()}:x", f"{uuid4()}:-1", f"{uuid4()}"])
def test_foreign_cursors_are_rejected(cursor):
    with pytest.raises(InvalidCursorError):
        decode_overlay_cursor(cursor)


def test_split_page_uses_the_extra_row_to_detect_more():
    assert split_page([1, 2, 3], 2) == ([1, 2], True)
    assert split_page([1, 2], 2) == ([1, 2], False)
    assert split_page([], 2) == ([], False)


def test_queue_cursor_round_trips_and_refuses_foreign_ones():
    document_id = uuid4()
    assert decode_queue_cursor(encode_queue_cursor(3, document_id, 7)) == (3, document_id, 7)
    assert decode_queue_cursor(None) is None and decode_queue_cursor("") is None
    for bad in ("x", f"-1:{document_id}:7", f"3:{document_id}", f"99999999999:{document_id}:1"):
        with pytest.raises(InvalidCursorError):
            decode_queue_cursor(bad)

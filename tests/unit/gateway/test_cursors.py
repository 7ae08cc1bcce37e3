import base64
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from strata.gateway.web.cursors import (
    InvalidCursorError,
    decode_id_cursor,
    decode_index_cursor,
    decode_keyset,
    decode_name_cursor,
    decode_overlay_cursor,
    decode_queue_cursor,
    encode_keyset,
    encode_name_cursor,
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


@pytest.mark.parametrize(
    "cursor",
    [f"{uuid4()}:2147483648", f"{uuid4()}:99999999999999999999999", f"{uuid4()}: 1", "x" * 5000],
)
def test_overlay_cursors_out_of_range_are_rejected(cursor):
    with pytest.raises(InvalidCursorError) as refused:
        decode_overlay_cursor(cursor)
    assert len(str(refused.value)) < 100  # never echoed in full


def test_index_cursor_is_an_int32_at_least_minus_one():
    assert decode_index_cursor(None) == -1
    assert decode_index_cursor("2147483647") == 2147483647
    for bad in ("2147483648", "-2", "1_0", "+1", "\u0661", "1.0", ""):
        if bad == "":
            assert decode_index_cursor(bad) == -1
            continue
        with pytest.raises(InvalidCursorError):
            decode_index_cursor(bad)


def test_id_cursor_is_a_positive_int64():
    assert decode_id_cursor("9223372036854775807") == 2**63 - 1
    for bad in ("9223372036854775808", "0", "-5"):
        with pytest.raises(InvalidCursorError):
            decode_id_cursor(bad)


def test_keyset_and_name_cursors_round_trip_and_refuse_forgeries():
    at, row_id = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), uuid4()
    assert decode_keyset(encode_keyset(at, row_id)) == (at, row_id)
    assert decode_name_cursor(encode_name_cursor("a|b é")) == "a|b é"
    naive = base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", "x"]').decode()
    for bad in ("!!", "bm9wZQ", naive, "W10", "WzEsMl0"):
        with pytest.raises(InvalidCursorError):
            decode_keyset(bad)
    with pytest.raises(InvalidCursorError):
        decode_name_cursor(base64.urlsafe_b64encode(b"a\x00").decode())
def test_queue_cursor_round_trips_and_refuses_foreign_ones():
    document_id = uuid4()
    assert decode_queue_cursor(encode_queue_cursor(3, document_id, 7)) == (3, document_id, 7)
    assert decode_queue_cursor(None) is None and decode_queue_cursor("") is None
    for bad in ("x", f"-1:{document_id}:7", f"3:{document_id}", f"99999999999:{document_id}:1"):
        with pytest.raises(InvalidCursorError):
            decode_queue_cursor(bad)

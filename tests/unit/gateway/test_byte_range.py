"""Which byte range a download serves for a `Range` header (RFC 9110 §14)."""

import pytest

from strata.gateway.web.byte_range import ByteRange, RangeNotSatisfiableError, requested_range


@pytest.mark.parametrize(
    ("header", "size", "wanted"),
    [
        ("bytes=0-9", 100, ByteRange(0, 10)),
        ("bytes=90-", 100, ByteRange(90, 100)),
        ("bytes=90-1000", 100, ByteRange(90, 100)),
        ("bytes=-10", 100, ByteRange(90, 100)),
        ("bytes=-1000", 100, ByteRange(0, 100)),
        ("bytes=99-99", 100, ByteRange(99, 100)),
        # Not served as a range: the whole file instead, as the RFC allows.
        (None, 100, None),
        ("", 100, None),
        ("bytes=0-1,5-6", 100, None),
        ("items=0-1", 100, None),
        ("bytes=5-2", 100, None),
        ("bytes=-", 100, None),
        ("bytes=x-1", 100, None),
        ("bytes=" + "9" * 30 + "-", 100, None),
        ("bytes=-5", 0, None),
    ],
)
def test_requested_range(header: str | None, size: int, wanted: ByteRange | None) -> None:
    assert requested_range(header, size) == wanted


@pytest.mark.parametrize(("header", "size"), [("bytes=100-", 100), ("bytes=-0", 100), ("bytes=0-", 0)])
def test_a_range_past_the_end_is_not_satisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiableError):
        requested_range(header, size)


def test_content_range_names_the_last_byte_and_the_size() -> None:
    assert ByteRange(90, 100).content_range(100) == "bytes 90-99/100"

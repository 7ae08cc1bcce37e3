"""Which values each content mode exports for each review state."""

import pytest

from strata.contracts.exports import ExportContent
from strata.export.content import select_values

STAGED, CONFIRMED = {"v": "model"}, {"v": "person"}
C, S, M = ExportContent.CONFIRMED, ExportContent.STAGED, ExportContent.MERGED


@pytest.mark.parametrize(
    ("content", "review_status", "confirmed", "expected"),
    [
        (C, "unreviewed", None, (None, None)),
        (C, "confirmed", CONFIRMED, ("confirmed", CONFIRMED)),
        (C, "edited", CONFIRMED, ("confirmed", CONFIRMED)),
        (C, "rejected", None, (None, None)),
        (C, "rejected", CONFIRMED, (None, None)),  # left over from before the reject: never
        (S, "unreviewed", None, ("staged", STAGED)),
        (S, "confirmed", CONFIRMED, ("staged", STAGED)),
        (S, "rejected", None, ("staged", STAGED)),  # staged is what the model said, marked so
        (M, "unreviewed", None, ("staged", STAGED)),
        (M, "edited", CONFIRMED, ("confirmed", CONFIRMED)),
        (M, "rejected", None, (None, None)),  # a person said the staged values are wrong
        (M, "rejected", CONFIRMED, (None, None)),
    ],
)
def test_selection(content, review_status, confirmed, expected):
    got = select_values(content, review_status=review_status, staged=STAGED, confirmed=confirmed)
    assert got == expected


def test_a_failed_block_has_nothing_to_stage():
    for content in ExportContent:
        got = select_values(content, review_status="unreviewed", staged=None, confirmed=None)
        assert got == (None, None)

"""Review transitions of one block: pure decisions, no database."""

import pytest

from strata.contracts.overlays import OverlayStatus, ReviewAction, ReviewStatus
from strata.gateway.domain.review_rules import ReviewState, StaleRevisionError, decide, snapshot
from strata.gateway.web.errors import ApiError
from strata.planning.values import value_validator

DEFINITION = {
    "type": "object",
    "properties": {"party": {"type": "string"}, "amount": {"type": ["number", "null"]}},
    "required": ["party", "amount"],
}
STAGED = {"party": "ACME", "amount": 12}


def state(review=ReviewStatus.UNREVIEWED, status=OverlayStatus.AI_COMPLETE, staged=STAGED, rev=3):
    confirmed = None if review in (ReviewStatus.UNREVIEWED, ReviewStatus.REJECTED) else staged
    return ReviewState(status, review, staged, confirmed, rev)


def act(s, action, revision=3, values=None):
    return decide(
        s,
        action=action,
        revision=revision,
        values=values,
        definition=DEFINITION,
        validator=value_validator(DEFINITION),
    )


def refused(s, action, code, revision=3, values=None, status=409):
    with pytest.raises(ApiError) as err:
        act(s, action, revision, values)
    assert (err.value.status, err.value.code) == (status, code), err.value.message
    return err.value.message


def test_confirm_takes_the_staged_values():
    change = act(state(), ReviewAction.CONFIRM)
    assert (change.review_status, change.confirmed) == (ReviewStatus.CONFIRMED, STAGED)


def test_edit_keeps_unchanged_fields_and_is_validated():
    change = act(state(), ReviewAction.EDIT, values={"amount": 13.5})
    assert change.review_status is ReviewStatus.EDITED
    assert change.confirmed == {"party": "ACME", "amount": 13.5}
    assert "invalid at amount" in refused(
        state(), ReviewAction.EDIT, "invalid_values", values={"amount": "13"}, status=422
    )
    assert "unknown fields: total" in refused(
        state(), ReviewAction.EDIT, "invalid_values", values={"total": 1}, status=422
    )
    refused(state(), ReviewAction.EDIT, "invalid_values", values={}, status=422)


def test_an_edit_that_changes_nothing_is_a_confirmation():
    change = act(state(), ReviewAction.EDIT, values={"amount": 12})
    assert change.review_status is ReviewStatus.CONFIRMED


def test_a_failed_block_is_filled_by_editing_and_cannot_be_confirmed():
    failed = state(status=OverlayStatus.FAILED, staged=None)
    refused(failed, ReviewAction.CONFIRM, "nothing_to_confirm")
    # Every required field must be given: nothing is staged to keep.
    refused(failed, ReviewAction.EDIT, "invalid_values", values={"party": "X"}, status=422)
    change = act(failed, ReviewAction.EDIT, values={"party": "X", "amount": None})
    assert change.confirmed == {"party": "X", "amount": None}


def test_reject_and_reopen_clear_the_confirmed_values():
    assert act(state(), ReviewAction.REJECT).review_status is ReviewStatus.REJECTED
    assert act(state(), ReviewAction.REJECT).confirmed is None
    for review in (ReviewStatus.CONFIRMED, ReviewStatus.EDITED, ReviewStatus.REJECTED):
        change = act(state(review), ReviewAction.REOPEN)
        assert (change.review_status, change.confirmed) == (ReviewStatus.UNREVIEWED, None)


def test_only_unreviewed_blocks_are_decided_and_only_reviewed_ones_reopened():
    refused(state(), ReviewAction.REOPEN, "invalid_transition")
    for review in (ReviewStatus.CONFIRMED, ReviewStatus.EDITED, ReviewStatus.REJECTED):
        for action in (ReviewAction.CONFIRM, ReviewAction.EDIT, ReviewAction.REJECT):
            refused(state(review), action, "invalid_transition", values={"amount": 1})


@pytest.mark.parametrize("status", [OverlayStatus.PENDING, OverlayStatus.CLAIMED])
def test_blocks_still_running_are_not_reviewed(status):
    for action in ReviewAction:
        refused(state(status=status), action, "overlay_not_settled")


def test_a_stale_revision_is_refused_before_the_transition_is_judged():
    with pytest.raises(StaleRevisionError):
        act(state(), ReviewAction.CONFIRM, revision=2)
    with pytest.raises(StaleRevisionError):  # already confirmed by someone else: stale, not invalid
        act(state(ReviewStatus.CONFIRMED, rev=4), ReviewAction.CONFIRM, revision=3)


def test_values_belong_to_edit_only():
    refused(state(), ReviewAction.CONFIRM, "invalid_values", values={"amount": 1}, status=422)


def test_snapshot_is_what_the_audit_records():
    assert snapshot(ReviewStatus.EDITED, {"a": 1}) == {
        "review_status": "edited",
        "confirmed": {"a": 1},
    }

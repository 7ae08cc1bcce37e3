"""What a review action does to one block (pure: no I/O).

    unreviewed --confirm--> confirmed     (confirmed := staged)
    unreviewed --edit-----> edited        (confirmed := staged with the person's fields over it,
                                           valid under the run's schema version)
    unreviewed --reject---> rejected      (confirmed := null)
    confirmed|edited|rejected --reopen--> unreviewed (confirmed := null)

Only settled blocks (`ai_complete`, or `failed`, which a person may fill by editing) are
reviewed, and an action is refused unless it names the block's current revision: a person never
acts on a state they have not seen.
"""

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from strata.contracts.overlays import OverlayStatus, ReviewAction, ReviewStatus
from strata.gateway.web.errors import ApiError
from strata.planning.values import first_problem

REVIEWABLE = frozenset({OverlayStatus.AI_COMPLETE, OverlayStatus.FAILED})

_TARGET = {
    ReviewAction.CONFIRM: ReviewStatus.CONFIRMED,
    ReviewAction.EDIT: ReviewStatus.EDITED,
    ReviewAction.REJECT: ReviewStatus.REJECTED,
    ReviewAction.REOPEN: ReviewStatus.UNREVIEWED,
}


@dataclass(frozen=True)
class ReviewState:
    status: OverlayStatus
    review_status: ReviewStatus
    staged: dict[str, Any] | None
    confirmed: dict[str, Any] | None
    revision: int


@dataclass(frozen=True)
class ReviewChange:
    review_status: ReviewStatus
    confirmed: dict[str, Any] | None


class StaleRevisionError(Exception):
    """The action named a revision the block has moved past."""


def _refuse(code: str, message: str, status: int = 409) -> ApiError:
    return ApiError(status, code, message)


def check_settled(state: ReviewState) -> None:
    if state.status not in REVIEWABLE:
        raise _refuse(
            "overlay_not_settled",
            f"the block is {state.status.value}; only ai_complete or failed blocks are reviewed",
        )


def check_transition(state: ReviewState, action: ReviewAction) -> None:
    if action is ReviewAction.REOPEN:
        if state.review_status is ReviewStatus.UNREVIEWED:
            raise _refuse(
                "invalid_transition", "the block is unreviewed; there is nothing to reopen"
            )
    elif state.review_status is not ReviewStatus.UNREVIEWED:
        raise _refuse(
            "invalid_transition",
            f"the block is already {state.review_status.value}; reopen it first",
        )
    if action is ReviewAction.CONFIRM and state.staged is None:
        raise _refuse("nothing_to_confirm", "the block has no staged values; edit it instead")


def merged_values(
    staged: dict[str, Any] | None,
    values: dict[str, Any] | None,
    *,
    definition: dict[str, Any],
    validator: Draft202012Validator,
) -> dict[str, Any]:
    """The person's fields over the staged ones (top-level fields; a nested object is replaced
    whole), valid under the run's schema version, or 422 `invalid_values`."""
    if not values:
        raise _refuse("invalid_values", "an edit needs `values` with at least one field", 422)
    unknown = sorted(set(values) - set(definition.get("properties", {})))
    if unknown:
        raise _refuse("invalid_values", f"unknown fields: {', '.join(unknown)}", 422)
    merged = {**(staged or {}), **values}
    if problem := first_problem(validator, merged):
        raise _refuse("invalid_values", problem, 422)
    return merged


def decide(
    state: ReviewState,
    *,
    action: ReviewAction,
    revision: int,
    values: dict[str, Any] | None = None,
    definition: dict[str, Any] | None = None,
    validator: Draft202012Validator | None = None,
) -> ReviewChange:
    """The block's review after `action`, or why not (ApiError, StaleRevisionError). A stale
    revision is reported before the transition is judged: the caller's view is out of date."""
    check_settled(state)
    if revision != state.revision:
        raise StaleRevisionError
    check_transition(state, action)
    if action is not ReviewAction.EDIT and values is not None:
        raise _refuse("invalid_values", f"`values` are only for edit, not {action.value}", 422)
    if action is ReviewAction.CONFIRM:
        return ReviewChange(ReviewStatus.CONFIRMED, state.staged)
    if action is ReviewAction.EDIT:
        assert definition is not None and validator is not None
        merged = merged_values(state.staged, values, definition=definition, validator=validator)
        # An edit that changes nothing is a confirmation: the export says which values a person
        # wrote, and here they wrote none.
        kind = ReviewStatus.CONFIRMED if merged == state.staged else ReviewStatus.EDITED
        return ReviewChange(kind, merged)
    return ReviewChange(_TARGET[action], None)


def snapshot(review_status: ReviewStatus, confirmed: dict[str, Any] | None) -> dict[str, Any]:
    """What an audit event records before and after an action."""
    return {"review_status": review_status.value, "confirmed": confirmed}

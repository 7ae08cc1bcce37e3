"""Per-block results of a run, and the vocabulary of their states and errors."""

from enum import StrEnum


class OverlayStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    AI_COMPLETE = "ai_complete"
    FAILED = "failed"


TERMINAL_OVERLAY_STATUSES = frozenset({OverlayStatus.AI_COMPLETE, OverlayStatus.FAILED})


class ReviewStatus(StrEnum):
    UNREVIEWED = "unreviewed"
    CONFIRMED = "confirmed"
    EDITED = "edited"
    REJECTED = "rejected"


class ModelErrorCode(StrEnum):
    NO_API_KEY = "no_api_key"
    INVALID_API_KEY = "invalid_api_key"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    PROVIDER_ERROR = "provider_error"
    TIMEOUT = "timeout"
    INVALID_OUTPUT = "invalid_output"
    OVERFLOW = "overflow"
    CANCELLED = "cancelled"
    BUDGET_EXHAUSTED = "budget_exhausted"


class ReviewAction(StrEnum):
    CONFIRM = "confirm"
    EDIT = "edit"
    REJECT = "reject"
    REOPEN = "reopen"


class FlagKind(StrEnum):
    """Why a settled block deserves a person's eye. A stored flag is `<kind>:<field path>`
    (`retried` alone), e.g. `number_not_in_text:totals.net`."""

    REQUIRED_NULL = "required_null"
    NOT_IN_TEXT = "not_in_text"
    NUMBER_NOT_IN_TEXT = "number_not_in_text"
    NOT_IN_ENUM = "not_in_enum"
    RETRIED = "retried"

"""Base of every service's exception tree: each error knows its code and whether to retry."""


class StrataError(Exception):
    """Something went wrong."""

    code = "internal_error"
    retryable = False
    # A retryable error may say how long to wait at least (e.g. a provider's retry-after).
    retry_after_s: float | None = None

    def __init__(self, message: str | None = None) -> None:
        # The docstring's first line is the default text shown to people.
        self.message = message or (self.__doc__ or self.code).strip().splitlines()[0]
        super().__init__(self.message)


class TransientError(StrataError):
    """A dependency is unavailable; the same message may succeed later."""

    code = "transient"
    retryable = True

"""What can go wrong with a blob, each with a stable code that says whether to retry."""

from strata.runtime.errors import StrataError, TransientError


class BlobNotFoundError(StrataError):
    """The blob is not in blob storage."""

    code = "blob_missing"


class BlobTooLargeError(StrataError):
    """The blob is larger than the limit."""

    code = "blob_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"blob exceeds {limit} bytes")
        self.limit = limit


class BlobKeyError(StrataError, ValueError):
    """The blob key is not a safe key."""

    code = "blob_key_invalid"


class BlobStoreError(TransientError):
    """Blob storage did not answer as expected; the same request may succeed later."""

    code = "blob_store_unavailable"


class BlobConfigError(ValueError):
    """The blob storage settings do not describe a usable store (raised at start)."""

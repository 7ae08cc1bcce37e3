"""Blob keys: opaque strings the services make (`documents/<id>`, `exports/<id>.csv`), checked
before any backend sees them so no key can name a file outside the store's folder or prefix."""

import re

from strata.runtime.blobs.errors import BlobKeyError

MAX_KEY_CHARS = 512
# A segment starts with a letter or digit: no "", ".", ".." (traversal), no hidden names (the
# local backend's staging files start with a dot), no backslash, colon, NUL or space.
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_key(key: str) -> str:
    """The key itself when it is safe; `BlobKeyError` otherwise."""
    if not key or len(key) > MAX_KEY_CHARS:
        raise BlobKeyError(f"a blob key has 1 to {MAX_KEY_CHARS} characters")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment):
            raise BlobKeyError(f"blob key {key[:80]!r} has an unsafe segment")
    return key

"""`s3://bucket/key` sources for `ingest.requested`: read with the deployment's own S3 endpoint
and credentials (`STRATA_BLOB_*`), from the buckets the operator allowed and no other.

Which buckets an integration may name is the operator's rule (GATEWAY_IMPORT_BUCKETS): the
deployment's credentials may reach more than an account should read through Strata, so a bucket
not listed is refused before anything is asked of the store."""

from collections.abc import AsyncIterator, Sequence

from strata.runtime.blobs import BlobConfig, open_blob_uri
from strata.runtime.blobs.errors import (
    BlobConfigError,
    BlobKeyError,
    BlobNotFoundError,
    BlobStoreError,
)
from strata.runtime.sources import (
    InvalidSourceUriError,
    SourceNotAllowedError,
    SourceNotFoundError,
    SourceUnavailableError,
    SourceUri,
)


class S3Source:
    def __init__(self, *, like: BlobConfig, buckets: Sequence[str]) -> None:
        self._like = like
        self._buckets = frozenset(buckets)

    async def chunks(self, uri: SourceUri) -> AsyncIterator[bytes]:
        if uri.netloc not in self._buckets:
            raise SourceNotAllowedError("the bucket is not one this deployment imports from")
        try:
            store, key = open_blob_uri(uri.text, like=self._like)
        except (BlobConfigError, BlobKeyError) as exc:
            raise InvalidSourceUriError(f"not a readable s3:// URI: {exc}") from None
        try:
            stream = await store.open(key)
        except BlobNotFoundError:
            raise SourceNotFoundError() from None
        except BlobStoreError:
            raise SourceUnavailableError("the object store does not answer") from None
        try:
            async for chunk in stream:
                yield chunk
        except BlobStoreError:
            raise SourceUnavailableError("the object store stopped answering") from None

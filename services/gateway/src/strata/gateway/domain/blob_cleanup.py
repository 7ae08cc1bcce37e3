"""Deleting a blob nothing points at any more (an orphan upload, a deleted row's file)."""

import logging

from strata.runtime.blobs import BlobStore, BlobStoreError

logger = logging.getLogger(__name__)


async def discard_blob(blobs: BlobStore, key: str) -> None:
    """Best effort: when blob storage fails, the blob stays as an orphan (logged) and the
    request that made it an orphan still answers; an orphan costs space, never correctness."""
    try:
        await blobs.delete(key)
    except BlobStoreError as exc:
        logger.warning("could not delete orphan blob %s: %s", key, exc)

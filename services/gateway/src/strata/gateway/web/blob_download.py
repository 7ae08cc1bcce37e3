"""A blob as an HTTP answer: a redirect to a presigned URL when the deployment presigns, else
streamed through the gateway chunk by chunk (one byte range of it when asked for)."""

from fastapi.responses import RedirectResponse, Response, StreamingResponse

from strata.gateway.web.byte_range import RangeNotSatisfiableError, requested_range
from strata.gateway.web.errors import ApiError
from strata.runtime.blobs import BlobNotFoundError, BlobStore


def _gone() -> ApiError:
    return ApiError(410, "export_missing", "the export file is gone; request a new export")


async def blob_response(
    blobs: BlobStore, key: str, *, media_type: str, disposition: str, range_header: str | None
) -> Response:
    try:
        size = await blobs.size(key)
    except BlobNotFoundError:
        raise _gone() from None
    if (url := await blobs.presigned_url(key)) is not None:
        # 307: the client repeats the GET at the storage; the URL expires, so never cached.
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    headers = {"Content-Disposition": disposition, "Accept-Ranges": "bytes"}
    try:
        wanted = requested_range(range_header, size)
    except RangeNotSatisfiableError:
        raise ApiError(
            416,
            "range_not_satisfiable",
            f"the file has {size} bytes",
            headers={"Content-Range": f"bytes */{size}"},
        ) from None
    try:
        if wanted is None:
            stream = await blobs.open(key)
        else:
            stream = await blobs.open(key, start=wanted.start, end=wanted.end)
            headers["Content-Range"] = wanted.content_range(size)
    except BlobNotFoundError:  # deleted since the size was read
        raise _gone() from None
    headers["Content-Length"] = str(stream.length)
    return StreamingResponse(
        aiter(stream),
        status_code=206 if wanted else 200,
        media_type=media_type,
        headers=headers,
    )

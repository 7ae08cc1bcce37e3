"""`s3://` sources of ingest commands against moto's S3 server: read in chunks from an allowed
bucket; another bucket, a missing key or a bad key are refused with their stable codes."""

import pytest

from strata.runtime.sources import (
    InvalidSourceUriError,
    SourceNotAllowedError,
    SourceNotFoundError,
    parse_source_uri,
)
from strata.runtime.sources_s3 import S3Source
from tests.support.s3 import S3Server

pytestmark = pytest.mark.integration


async def _read(source: S3Source, uri: str) -> bytes:
    return b"".join([chunk async for chunk in source.chunks(parse_source_uri(uri))])


async def test_an_allowed_bucket_is_read_and_nothing_else(s3_server: S3Server) -> None:
    allowed, other = s3_server.new_bucket(), s3_server.new_bucket()
    body = b"# Report\n\n" + b"x" * (3 * 1024 * 1024)  # more than one chunk
    s3_server.client().put_object(Bucket=allowed, Key="in/report.md", Body=body)
    s3_server.client().put_object(Bucket=other, Key="in/report.md", Body=b"secret")
    source = S3Source(like=s3_server.config(allowed), buckets=[allowed])

    assert await _read(source, f"s3://{allowed}/in/report.md") == body
    with pytest.raises(SourceNotAllowedError):
        await _read(source, f"s3://{other}/in/report.md")
    with pytest.raises(SourceNotFoundError):
        await _read(source, f"s3://{allowed}/in/missing.md")
    with pytest.raises(InvalidSourceUriError):
        await _read(source, f"s3://{allowed}/in/../../etc/passwd")

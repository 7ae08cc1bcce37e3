"""Where blobs live, from settings: `file:///abs/folder` (one machine) or `s3://bucket/prefix`
(AWS S3, MinIO, Ceph, GCS's S3 API). Checked when the process starts; a store is opened only
from a checked config."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from obstore.store import LocalStore, S3Store

from strata.runtime.blobs.errors import BlobConfigError
from strata.runtime.blobs.keys import check_key
from strata.runtime.blobs.store import ObjectBlobStore

if TYPE_CHECKING:
    from obstore.store import ClientConfig, RetryConfig, S3Config



@dataclass(frozen=True)
class BlobConfig:
    url: str
    endpoint: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    allow_http: bool = False
    # Seconds a presigned download URL is valid; 0: downloads are proxied by the gateway.
    presign_ttl_s: int = 0

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme


def check_config(config: BlobConfig) -> BlobConfig:
    """The config itself when it describes a usable store; `BlobConfigError` saying what is
    wrong otherwise."""
    parts = urlsplit(config.url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise BlobConfigError("a file:// blob URL names an absolute folder: file:///path")
        if config.presign_ttl_s:
            raise BlobConfigError("presigned downloads need an s3:// blob URL")
        return config
    if parts.scheme != "s3":
        raise BlobConfigError(f"blob URL scheme {parts.scheme!r}: use file:// or s3://")
    if not parts.netloc or parts.query or parts.fragment:
        raise BlobConfigError("an S3 blob URL is s3://bucket or s3://bucket/prefix")
    prefix = parts.path.strip("/")
    if prefix:
        try:
            check_key(prefix)
        except ValueError:
            raise BlobConfigError(f"S3 prefix {prefix!r} is not a safe key prefix") from None
    if (config.access_key_id is None) != (config.secret_access_key is None):
        raise BlobConfigError("set both the access key id and the secret access key, or neither")
    if config.endpoint is not None:
        endpoint = urlsplit(config.endpoint)
        if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
            raise BlobConfigError("the S3 endpoint is an http(s):// URL")
        if endpoint.scheme == "http" and not config.allow_http:
            raise BlobConfigError("an http:// S3 endpoint needs allow_http (TLS is the default)")
    if not 0 <= config.presign_ttl_s <= 7 * 24 * 3600:
        raise BlobConfigError("a presigned URL lives 0 s (proxied) to 7 days (S3's maximum)")
    return config


def open_blob_store(config: BlobConfig) -> ObjectBlobStore:
    """The store the config names (nothing is contacted until the first request)."""
    check_config(config)
    parts = urlsplit(config.url)
    if parts.scheme == "file":
        root = Path(unquote(parts.path)).resolve()
        root.mkdir(parents=True, exist_ok=True)
        return ObjectBlobStore(LocalStore(root), local_root=root)
    # An unreachable S3 fails a request in seconds, not after obstore's default three minutes
    # of retries; the consumer's own retry (or the client's) takes over from there.
    client: ClientConfig = {
        "connect_timeout": timedelta(seconds=5),
        "timeout": timedelta(seconds=120),
        "allow_http": config.allow_http,
    }
    retry: RetryConfig = {"max_retries": 3, "retry_timeout": timedelta(seconds=20)}
    s3 = S3Store(
        parts.netloc,
        prefix=parts.path.strip("/") or None,
        config=_s3_config(config),
        client_options=client,
        retry_config=retry,
    )
    ttl = timedelta(seconds=config.presign_ttl_s) if config.presign_ttl_s else None
    return ObjectBlobStore(s3, presign_ttl=ttl)


def open_blob_uri(uri: str, *, like: BlobConfig) -> tuple[ObjectBlobStore, str]:
    """The store and key of one blob named by an `s3://bucket/some/key` URI, reached with the
    endpoint and credentials of `like` (for reading a document an integration names by URI;
    which buckets it may name is the caller's rule). The key is checked like every key."""
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise BlobConfigError("a blob URI is s3://bucket/key")
    store = open_blob_store(replace(like, url=f"s3://{parts.netloc}", presign_ttl_s=0))
    return store, check_key(unquote(parts.path).lstrip("/"))


def _s3_config(config: BlobConfig) -> S3Config:
    # Unset values are left to obstore, which reads AWS_* variables, web identity and instance
    # metadata the way the AWS SDKs do.
    s3: S3Config = {}
    if config.endpoint is not None:
        s3["endpoint"] = config.endpoint
    if config.region is not None:
        s3["region"] = config.region
    if config.access_key_id is not None and config.secret_access_key is not None:
        s3["access_key_id"] = config.access_key_id
        s3["secret_access_key"] = config.secret_access_key
    return s3

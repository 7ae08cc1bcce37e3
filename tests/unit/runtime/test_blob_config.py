"""Blob keys and blob storage settings: unsafe keys and unusable settings are refused up front."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from strata.runtime.blobs import BlobConfig, BlobConfigError, BlobKeyError, check_config, check_key
from strata.runtime.blobs.config import open_blob_uri
from strata.runtime.settings import CommonSettings

BASE = {"database_url": "postgresql://u@h/db", "amqp_url": "amqp://g:g@h/"}


@pytest.mark.parametrize(
    "key",
    ["documents/0b9c3c1e-6a4f-4c8e-9a57-2c1f7b2d8e11", "exports/e.jsonl", "b/x", "a_b-c.d/e"],
)
def test_keys_the_services_make_are_accepted(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../etc/passwd",
        "documents/../../etc/passwd",
        "documents/..",
        "./documents/x",
        "/etc/passwd",
        "documents//x",
        "documents/",
        "documents/.hidden",
        "documents\\..\\x",
        "c:/x",
        "documents/x\x00",
        "documents/a b",
        "documents/%2e%2e",
        "x" * 513,
    ],
)
def test_unsafe_keys_are_refused(key: str) -> None:
    with pytest.raises(BlobKeyError) as refused:
        check_key(key)
    assert refused.value.code == "blob_key_invalid" and not refused.value.retryable


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (BlobConfig(url="ftp://host/x"), "use file:// or s3://"),
        (BlobConfig(url="file://relative/x"), "absolute folder"),
        (BlobConfig(url="file:///srv/blobs", presign_ttl_s=60), "need an s3://"),
        (BlobConfig(url="s3://"), "s3://bucket"),
        (BlobConfig(url="s3://b/../x"), "not a safe key prefix"),
        (BlobConfig(url="s3://b", access_key_id="id"), "both"),
        (BlobConfig(url="s3://b", endpoint="minio:9000"), "http(s)://"),
        (BlobConfig(url="s3://b", endpoint="http://minio:9000"), "allow_http"),
        (BlobConfig(url="s3://b", presign_ttl_s=8 * 24 * 3600), "7 days"),
    ],
)
def test_unusable_configs_are_refused_with_the_reason(config: BlobConfig, says: str) -> None:
    with pytest.raises(BlobConfigError, match=None) as refused:
        check_config(config)
    assert says in str(refused.value)


def test_usable_configs_pass() -> None:
    for config in (
        BlobConfig(url="file:///srv/blobs"),
        BlobConfig(url="s3://bucket"),
        BlobConfig(
            url="s3://bucket/strata/prod",
            endpoint="http://minio:9000",
            allow_http=True,
            access_key_id="id",
            secret_access_key="secret",
            presign_ttl_s=300,
        ),
    ):
        assert check_config(config) is config
    assert "secret" not in repr(BlobConfig(url="s3://b", secret_access_key="secret"))


def test_settings_take_a_url_or_else_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="STRATA_BLOB_ROOT"):
        CommonSettings(**BASE)
    both = CommonSettings(**BASE, blob_root=tmp_path, blob_url="s3://bucket")
    assert both.blob_config().url == "s3://bucket"  # the image's folder default yields
    with pytest.raises(ValidationError, match="allow_http"):
        CommonSettings(**BASE, blob_url="s3://bucket", blob_endpoint="http://minio:9000")
    local = CommonSettings(**BASE, blob_root=tmp_path).blob_config()
    assert local.url == tmp_path.resolve().as_uri() and local.scheme == "file"
    s3 = CommonSettings(
        **BASE,
        blob_url="s3://bucket/p",
        blob_access_key_id="id",
        blob_secret_access_key="secret",
    ).blob_config()
    assert (s3.url, s3.access_key_id, s3.secret_access_key) == ("s3://bucket/p", "id", "secret")


def test_a_blob_uri_opens_its_bucket_and_checks_its_key() -> None:
    like = BlobConfig(url="s3://home", endpoint="http://minio:9000", allow_http=True)
    _, key = open_blob_uri("s3://inbox/2026/report.pdf", like=like)
    assert key == "2026/report.pdf"
    for bad in ("s3://inbox/../x", "s3://inbox/", "file:///etc/passwd", "s3:///x"):
        with pytest.raises((BlobKeyError, BlobConfigError)):
            open_blob_uri(bad, like=like)

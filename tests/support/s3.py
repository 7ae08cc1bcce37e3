"""A real S3-speaking server for the tests: moto's standalone server as a process of its own
(the services under test reach it over HTTP exactly as they would MinIO or AWS)."""

import contextlib
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx

from strata.runtime.blobs import BlobConfig
from tests.support.net import free_port

ACCESS_KEY, SECRET_KEY, REGION = "strata-test", "strata-test-secret", "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self):  # type: ignore[no-untyped-def]
        """A boto3 client: an independent view of what the services wrote."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        name = f"strata-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def config(self, bucket: str, *, prefix: str = "", presign_ttl_s: int = 0) -> BlobConfig:
        return BlobConfig(
            url=f"s3://{bucket}/{prefix}".rstrip("/"),
            endpoint=self.endpoint,
            region=REGION,
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
            allow_http=True,
            presign_ttl_s=presign_ttl_s,
        )

    def env(self, bucket: str, *, prefix: str = "", presign_ttl_s: int = 0) -> dict[str, str]:
        """The STRATA_BLOB_* settings of a service process using the bucket."""
        return {
            "STRATA_BLOB_URL": f"s3://{bucket}/{prefix}".rstrip("/"),
            "STRATA_BLOB_ENDPOINT": self.endpoint,
            "STRATA_BLOB_REGION": REGION,
            "STRATA_BLOB_ACCESS_KEY_ID": ACCESS_KEY,
            "STRATA_BLOB_SECRET_ACCESS_KEY": SECRET_KEY,
            "STRATA_BLOB_ALLOW_HTTP": "true",
            "STRATA_BLOB_PRESIGN_TTL_S": str(presign_ttl_s),
        }

    def keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(obj["Key"] for obj in listed.get("Contents", []))


@contextlib.contextmanager
def moto_server(log: Path) -> Iterator[S3Server]:
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = S3Server(f"http://127.0.0.1:{port}")
    try:
        _wait_up(proc, server.endpoint, log)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_up(proc: subprocess.Popen, endpoint: str, log: Path, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            httpx.get(f"{endpoint}/moto-api/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"moto server did not answer at {endpoint}")

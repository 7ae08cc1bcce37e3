"""Every service as a process on S3 (moto's server, a process too), no shared folder: upload →
convert (a PDF spooled out of the bucket for pdfium) → run → export (streamed to the bucket) →
download (a 307 to a presigned URL, followed by the client). The local blob folder stays empty."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from strata.client import StrataClient, wait_for
from tests.support.hostile import pdf
from tests.support.s3 import S3Server
from tests.support.stack import Stack, fresh_stack

pytestmark = pytest.mark.e2e

PREFIX = "strata-e2e"


@pytest.fixture(scope="module")
def s3_env(s3_server: S3Server) -> tuple[S3Server, str, dict[str, str]]:
    bucket = s3_server.new_bucket()
    return s3_server, bucket, s3_server.env(bucket, prefix=PREFIX, presign_ttl_s=300)


@pytest.fixture(scope="module")
def s3_stack(
    pg_template: str, tmp_path_factory: pytest.TempPathFactory, s3_env
) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("e2e-s3")
    _, _, env = s3_env
    with fresh_stack(pg_template, root, extra_env=env, unset_env=("STRATA_BLOB_ROOT",)) as stack:
        yield stack


def test_upload_convert_run_export_download_on_s3(s3_stack: Stack, s3_env, examples, tmp_path):
    server, bucket, _ = s3_env
    client = StrataClient(s3_stack.gateway_url, s3_stack.create_account("e2e-s3"))
    project = client.create_project("on object storage")
    scanned = tmp_path / "contract.pdf"
    scanned.write_bytes(pdf(["Supplier Acme agrees to deliver 40 units by March."]))
    docs = [
        client.converted(client.upload(project["id"], path)["id"])
        for path in (examples / "documents" / "incident-review.md", scanned)
    ]
    assert [d["status"] for d in docs] == ["ready", "ready"], docs
    assert all(d["block_count"] > 0 for d in docs)

    schema = client.create_schema(project["id"], json.loads((examples / "schema.json").read_text()))
    run = client.create_run({"schema_id": schema["id"], "document_ids": [d["id"] for d in docs]})
    run = wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=120,
        what="run complete",
    )
    export = client.request_export(run["id"], content="staged")
    export = wait_for(
        lambda: client.export(export["id"]),
        lambda e: e["status"] != "pending",
        timeout_s=60,
        what="export",
    )
    assert export["status"] == "ready", export

    rows = [
        json.loads(line)
        for line in client.download_export(export["id"], tmp_path / "run.jsonl")
        .read_text()
        .splitlines()
    ]
    assert len(rows) == run["total_blocks"] == sum(d["block_count"] for d in docs)
    assert {r["document_id"] for r in rows} == {d["id"] for d in docs}

    keys = server.keys(bucket)
    assert {f"{PREFIX}/documents/{d['id']}" for d in docs} <= set(keys)
    assert f"{PREFIX}/exports/{export['id']}.jsonl" in keys
    blob_root = Path(s3_stack.blob_root)
    assert not blob_root.exists() or not [p for p in blob_root.rglob("*") if p.is_file()]
    client.close()

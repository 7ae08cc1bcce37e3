"""The job behind the block-trace proof (the e2e test and `make trace-demo`): documents
uploaded, a run, an export; then, for a block, the spans that reach it as the OTLP receiver
got them. Spans arrive in batches after the work, so the walk is retried until it is complete
or the time is up."""

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strata.client import StrataClient, wait_for
from tests.support.otlp import OtlpReceiver, SpanRecord, block_spans

SIX = ("gateway", "ingest", "conversion", "worker", "rollup", "export")
# What the services' exporters need to hand spans over quickly (defaults: 5 s batches).
OTLP_ENV = {"OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_TRACES_SAMPLER": "always_on"}


@dataclass(frozen=True)
class TracedBlock:
    uid: str
    overlay: dict[str, Any]
    spans: list[SpanRecord]

    @property
    def services(self) -> list[str]:
        found = {s.service for s in self.spans}
        return [name for name in SIX if name in found] + sorted(found - set(SIX))

    def line(self) -> str:
        return f"block={self.uid} services={','.join(self.services)} spans={len(self.spans)}"


def traced_job(
    client: StrataClient, documents: list[Path], schema: Path
) -> tuple[str, list[dict[str, Any]]]:
    """Upload, run, export (staged values); the run and its overlays, each naming its pack
    span."""
    project = client.create_project("block-trace")
    docs = [client.converted(client.upload(project["id"], path)["id"]) for path in documents]
    assert all(d["status"] == "ready" for d in docs), docs
    version = client.create_schema(project["id"], json.loads(schema.read_text()))
    run = client.create_run(
        {"schema_id": version["id"], "document_ids": [d["id"] for d in docs]}
    )
    wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=180,
        what="run complete",
    )
    export = client.exported(client.request_export(run["id"], "jsonl", content="staged")["id"])
    assert export["status"] == "ready", export
    return run["id"], list(client.overlays(run["id"]))


def trace_of(
    receiver: OtlpReceiver, overlay: dict[str, Any], *, timeout_s: float = 30
) -> TracedBlock:
    """The spans reaching the overlay's block, once all six services show (or time is up)."""
    assert overlay["trace_id"] and overlay["span_id"], overlay
    pack = (overlay["trace_id"], overlay["span_id"])
    deadline = time.monotonic() + timeout_s
    while True:
        block = TracedBlock(overlay["block_uid"], overlay, block_spans(receiver.snapshot(), pack))
        if set(SIX) <= set(block.services) or time.monotonic() > deadline:
            return block
        time.sleep(0.5)

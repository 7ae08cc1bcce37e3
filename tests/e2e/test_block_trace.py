"""One trace per block, proven over real processes: every service exports OTLP to a receiver
run by the test; for chosen blocks (one of each document of a two-document run), the overlay
names its pack span, and spans of all six services reach that block by parent/child or links."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from strata.client import StrataClient
from tests.support.block_trace import OTLP_ENV, SIX, trace_of, traced_job
from tests.support.otlp import OtlpReceiver
from tests.support.stack import Stack, fresh_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def traced_stack(
    pg_template: str, tmp_path_factory: pytest.TempPathFactory, receiver: OtlpReceiver
) -> Iterator[Stack]:
    env = {**OTLP_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}
    with fresh_stack(pg_template, tmp_path_factory.mktemp("trace"), extra_env=env) as stack:
        yield stack


def test_each_block_reaches_spans_of_all_six_services(
    traced_stack: Stack, receiver: OtlpReceiver, examples: Path
) -> None:
    client = StrataClient(traced_stack.gateway_url, traced_stack.create_account("tracer"))
    try:
        documents = [examples / "documents" / n for n in ("meeting-notes.txt", "incident-review.md")]
        run_id, overlays = traced_job(client, documents, examples / "schema.json")
        by_document: dict[str, dict] = {}
        for overlay in overlays:
            by_document.setdefault(overlay["document_id"], overlay)
        assert len(by_document) == 2
        for overlay in by_document.values():
            # GET on the block returns the same trace as the overlays list.
            item = client.review_item(run_id, overlay["document_id"], overlay["block_index"])
            assert (item["trace_id"], item["span_id"]) == (overlay["trace_id"], overlay["span_id"])
            block = trace_of(receiver, overlay)
            assert block.services[:6] == list(SIX), block.line()
            _assert_the_links(block.spans, overlay)
    finally:
        client.close()


def _assert_the_links(spans: list, overlay: dict) -> None:
    pack_key = (overlay["trace_id"], overlay["span_id"])
    (pack,) = [s for s in spans if s.key == pack_key]
    assert pack.service == "worker" and pack.name == "strata.pack"
    # The pack links to its block's document's conversion, in the upload's trace (not the run's).
    conversions = {s.key: s for s in spans if s.name == "strata.convert"}
    mine = [
        conversions[k]
        for k in pack.links
        if k in conversions
        and conversions[k].attributes["strata.document_id"] == overlay["document_id"]
    ]
    assert mine and mine[0].trace_id != pack.trace_id
    upload = [s for s in spans if s.service == "gateway" and s.trace_id == mine[0].trace_id]
    assert any(s.name.startswith("POST /v1/projects/") for s in upload)
    # The export's batch span that wrote the block links to the pack span itself.
    assert any(s.name == "strata.export.batch" and pack_key in s.links for s in spans)
    # The rollup counted it inside the pack's trace.
    assert any(s.service == "rollup" and s.trace_id == pack.trace_id for s in spans)

"""Operating Strata over real processes: every service is ready on /readyz and serves
/metrics, and a whole job (upload, run, export) moves the series an operator watches."""

import json

import pytest

from strata.client import StrataClient, wait_for
from strata.contracts import routing
from tests.support.scrape import scrape, total
from tests.support.stack import SERVICES

pytestmark = pytest.mark.e2e


def test_every_service_is_ready_and_its_metrics_move(stack, client: StrataClient, examples):
    stack.wait_ready()
    before = {name: scrape(url) for name, url in stack.ops_urls.items()}
    assert set(before) == {*SERVICES, "gateway"}
    for name, series in before.items():
        # Every process counts its outbox; every consumer primed its queues at 0.
        assert ("strata_outbox_backlog_messages", frozenset({("producer", name)})) in series, name

    project = client.create_project("metrics")
    doc = client.converted(
        client.upload(project["id"], examples / "documents" / "meeting-notes.txt")["id"]
    )
    schema = client.create_schema(project["id"], json.loads((examples / "schema.json").read_text()))
    run = client.create_run({"schema_id": schema["id"], "document_ids": [doc["id"]]})
    wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=120,
        what="run complete",
    )
    client.exported(client.request_export(run["id"], "csv")["id"])
    overlays = list(client.overlays(run["id"]))
    first = overlays[0]
    client.review(
        run["id"], first["document_id"], first["block_index"], action="reject", revision=0
    )
    after = {name: scrape(url) for name, url in stack.ops_urls.items()}

    def moved(service: str, name: str, **labels: str) -> float:
        return total(after[service], name, **labels) - total(before[service], name, **labels)

    handled = {"outcome": "handled"}
    assert (
        moved("ingest", "strata_messages_total", queue=routing.DOCUMENT_RECEIVED.queue, **handled)
        >= 1
    )
    assert (
        moved(
            "conversion", "strata_conversion_duration_seconds_count", format="txt", outcome="ready"
        )
        == 1
    )
    assert moved("conversion", "strata_conversion_blocks_total", format="txt") == doc["block_count"]
    assert moved("worker", "strata_messages_total", queue=routing.PACK_READY.queue, **handled) >= 1
    assert (
        moved("worker", "strata_handler_duration_seconds_count", queue=routing.PACK_READY.queue)
        >= 1
    )
    assert moved("worker", "strata_claimed_blocks_total") >= doc["block_count"]
    assert moved("worker", "strata_model_calls_total", outcome="ok") >= 1
    for kind in ("input", "output"):
        assert moved("worker", "strata_model_tokens_total", kind=kind) > 0, kind
    assert moved("worker", "strata_model_cost_usd_total") > 0
    assert moved("worker", "strata_settled_blocks_total", result="settled") >= doc["block_count"]
    flagged = sum(1 for o in overlays if o["flags"])
    assert moved("worker", "strata_flagged_blocks_total") == flagged
    assert moved("gateway", "strata_review_actions_total", action="reject", mode="single") == 1
    assert moved("rollup", "strata_run_recomputes_total") >= 1
    assert moved("rollup", "strata_runs_completed_total") == 1
    assert moved("export", "strata_exports_total", format="csv", outcome="ready") == 1
    assert moved("export", "strata_export_rows_total") == doc["block_count"]
    assert (
        moved("gateway", "strata_http_requests_total", route="/v1/projects/{project_id}/documents")
        >= 1
    )
    assert moved("gateway", "strata_outbox_published_messages_total") >= 1
    for name, series in after.items():
        for (metric, labels), _ in series.items():
            for key, value in labels:
                # No id in a label value: ids are UUIDs (36 characters with four dashes).
                assert not (len(value) == 36 and value.count("-") == 4), (name, metric, key)

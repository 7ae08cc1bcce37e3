"""`make trace-demo`: one document uploaded, run and exported on every service started with an
OTLP exporter pointed at a receiver run here; then one block looked up the way an operator
would (GET its overlay → trace id → spans). The last line:
`block=<uid> services=<services whose spans reach the block> spans=<n>`."""

from harness import ROOT, log, running_stack
from tests.support.block_trace import OTLP_ENV, trace_of, traced_job
from tests.support.otlp import OtlpReceiver


def main() -> None:
    examples = ROOT / "examples"
    with OtlpReceiver() as receiver:
        env = {**OTLP_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}
        with running_stack(extra_env=env) as (_, client):
            run_id, overlays = traced_job(
                client, [examples / "documents" / "meeting-notes.txt"], examples / "schema.json"
            )
            middle = overlays[len(overlays) // 2]
            # As an operator would: GET the block (its review item) → the pack's trace id.
            item = client.review_item(run_id, middle["document_id"], middle["block_index"])
            block = trace_of(receiver, item)
        log(f"block {item['block_uid']}: trace_id={item['trace_id']} span_id={item['span_id']}")
        for span in sorted(block.spans, key=lambda s: (s.service, s.name)):
            log(f"  {span.service:<10} {span.name} trace={span.trace_id}")
        print(block.line(), flush=True)


if __name__ == "__main__":
    main()

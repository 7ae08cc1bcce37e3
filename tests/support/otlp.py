"""An OTLP/HTTP trace receiver run in-process (protobuf, as the services' exporter sends), and
the walk from a block's pack span to every span connected to that block.

"Connected" follows causality, not the whole trace (a run's trace holds every pack of the run):
the pack span's ancestors (the offer that carried it) and descendants (its settle and the
rollup deliveries it caused); the spans it links to (its documents' conversions) with their
ancestors (ingest, the upload request); and the spans that link to the pack or to one of its
descendants (the rollup's coalesced recount, the export's batches) with their ancestors.
"""

import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

SpanKey = tuple[str, str]  # (trace id, span id) in hex


@dataclass(frozen=True)
class SpanRecord:
    service: str  # service.name without the "strata-" prefix
    name: str
    trace_id: str
    span_id: str
    parent_id: str  # "" for a root
    links: tuple[SpanKey, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> SpanKey:
        return self.trace_id, self.span_id


def decode(body: bytes) -> list[SpanRecord]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        service = attrs.get("service.name", "").removeprefix("strata-")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    SpanRecord(
                        service=service,
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex(),
                        links=tuple((ln.trace_id.hex(), ln.span_id.hex()) for ln in span.links),
                        attributes={a.key: str(a.value.string_value) for a in span.attributes},
                    )
                )
    return spans


class OtlpReceiver:
    """Serves POST /v1/traces on 127.0.0.1; `url` is what OTEL_EXPORTER_OTLP_ENDPOINT takes."""

    def __init__(self) -> None:
        self.spans: list[SpanRecord] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                spans = decode(body) if self.path == "/v1/traces" else []
                with receiver._lock:
                    receiver.spans.extend(spans)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "OtlpReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def snapshot(self) -> list[SpanRecord]:
        with self._lock:
            return list(self.spans)


def block_spans(spans: list[SpanRecord], pack: SpanKey) -> list[SpanRecord]:
    """Every span connected to the block whose overlay names `pack` (see the module doc)."""
    by_key = {s.key: s for s in spans}
    children: dict[SpanKey, list[SpanRecord]] = {}
    linked_from: dict[SpanKey, list[SpanRecord]] = {}
    for s in spans:
        children.setdefault((s.trace_id, s.parent_id), []).append(s)
        for target in s.links:
            linked_from.setdefault(target, []).append(s)

    def ancestors(key: SpanKey) -> Iterator[SpanKey]:
        while key in by_key:
            yield key
            key = (key[0], by_key[key].parent_id)

    def descendants(key: SpanKey) -> Iterator[SpanKey]:
        stack = [key]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(c.key for c in children.get(current, []))

    found: set[SpanKey] = set(ancestors(pack))
    below = set(descendants(pack))
    found |= below
    for target in by_key[pack].links if pack in by_key else ():
        found |= set(ancestors(target))
    for key in below:
        for source in linked_from.get(key, []):
            found |= set(ancestors(source.key))
    return [by_key[k] for k in found if k in by_key]

"""What a block's trace is made of, across messages that are not one request: a stored span
context (the document's conversion, the pack that settled a block) is turned back into a link.

OpenTelemetry's messaging conventions for batches: a span that handles many items (a pack of
blocks, an export batch) links to the context each item came with, rather than picking one
parent. Links stay in their own traces, so an operator starting from any of them finds the rest.
"""

from collections.abc import Iterable

from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_W3C = TraceContextTextMapPropagator()
# A batch span keeps at most this many links (the SDK's default limit is 128).
MAX_LINKS = 128


def current_traceparent() -> str | None:
    """The current span as a W3C `traceparent` (to store with a row), or None outside a span."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


def current_ids() -> tuple[str, str] | None:
    """The current span's (trace id, span id) in hex, as Jaeger and the OTLP wire show them."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def link_from_traceparent(traceparent: str | None, **attributes: str) -> Link | None:
    if not traceparent:
        return None
    ctx = trace.get_current_span(_W3C.extract({"traceparent": traceparent})).get_span_context()
    return Link(ctx, attributes) if ctx.is_valid else None


def link_from_ids(trace_id: str | None, span_id: str | None, **attributes: str) -> Link | None:
    if not trace_id or not span_id:
        return None
    try:
        ctx = SpanContext(
            int(trace_id, 16),
            int(span_id, 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
    except ValueError:
        return None
    return Link(ctx, attributes) if ctx.is_valid else None


def distinct_links(links: Iterable[Link | None]) -> list[Link]:
    """One link per span context (many blocks share a document or a pack), bounded."""
    seen: dict[tuple[int, int], Link] = {}
    for link in links:
        if link is not None:
            seen.setdefault((link.context.trace_id, link.context.span_id), link)
    return list(seen.values())[:MAX_LINKS]


def current_link(**attributes: str) -> Link | None:
    """A link to the current span: for work that another span will do on its behalf."""
    ctx = trace.get_current_span().get_span_context()
    return Link(ctx, attributes) if ctx.is_valid else None

"""Stored span contexts come back as links: a traceparent (a document's conversion) and hex
ids (an overlay's pack span); many blocks sharing one span give one link."""

from opentelemetry.sdk.trace import TracerProvider

from strata.runtime.tracing import (
    current_ids,
    current_traceparent,
    distinct_links,
    link_from_ids,
    link_from_traceparent,
)

tracer = TracerProvider().get_tracer(__name__)


def test_a_stored_context_links_back_to_its_span() -> None:
    assert current_traceparent() is None and current_ids() is None
    with tracer.start_as_current_span("convert") as span:
        stored, ids = current_traceparent(), current_ids()
    ctx = span.get_span_context()
    assert ids == (format(ctx.trace_id, "032x"), format(ctx.span_id, "016x"))
    for link in (link_from_traceparent(stored, why="doc"), link_from_ids(*ids, why="pack")):
        assert link is not None
        assert (link.context.trace_id, link.context.span_id) == (ctx.trace_id, ctx.span_id)


def test_missing_or_bad_contexts_give_no_link_and_duplicates_one() -> None:
    assert link_from_traceparent(None) is None and link_from_traceparent("garbage") is None
    assert link_from_ids(None, None) is None and link_from_ids("zz", "01") is None
    one = link_from_ids("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    again = link_from_ids("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    assert len(distinct_links([one, None, again])) == 1

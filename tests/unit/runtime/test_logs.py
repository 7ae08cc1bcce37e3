import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from strata.runtime.logs import JsonFormatter, TraceContextFilter


def _line(logger: logging.Logger, stream: io.StringIO) -> dict[str, str]:
    logger.warning("settled %d block(s)", 3)
    return json.loads(stream.getvalue().splitlines()[-1])


def test_json_lines_carry_the_trace_and_span_they_were_written_in():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TraceContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.trace.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        outside = _line(logger, stream)
        assert "trace_id" not in outside and outside["message"] == "settled 3 block(s)"
        tracer = TracerProvider().get_tracer(__name__)
        with tracer.start_as_current_span("strata.pack") as span:
            inside = _line(logger, stream)
        context = span.get_span_context()
        assert inside["trace_id"] == format(context.trace_id, "032x")
        assert inside["span_id"] == format(context.span_id, "016x")
    finally:
        logger.removeHandler(handler)

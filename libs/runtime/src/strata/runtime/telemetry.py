"""OpenTelemetry set up once per process. Spans go to OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is
set; otherwise they are still created (and propagated in AMQP headers) but not exported."""

import os

from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def setup_telemetry(
    service: str, *, extra_processor: SpanProcessor | None = None
) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": f"strata-{service}"}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if extra_processor is not None:
        provider.add_span_processor(extra_processor)
    trace.set_tracer_provider(provider)
    return provider


def broker_telemetry(provider: TracerProvider) -> RabbitTelemetryMiddleware:
    """FastStream middleware: consume/publish spans, `traceparent` carried in AMQP headers."""
    return RabbitTelemetryMiddleware(tracer_provider=provider)

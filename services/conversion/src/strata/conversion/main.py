"""`strata-conversion`: consume conversion requests, produce blocks."""

from dataclasses import dataclass

from strata.conversion.handlers import register
from strata.conversion.pipeline import ConversionPipeline
from strata.conversion.pool import ConverterPool
from strata.conversion.settings import ConversionSettings
from strata.conversion.store import PgDocumentStore
from strata.runtime.service import ServiceRuntime, run


@dataclass(frozen=True)
class ConversionService:
    runtime: ServiceRuntime
    pool: ConverterPool
    pipeline: ConversionPipeline


def build(settings: ConversionSettings) -> ConversionService:
    """Wire the service; nothing connects until the runtime starts."""
    runtime = ServiceRuntime("conversion", settings.common, http_port=settings.http_port)
    pool = ConverterPool(
        processes=settings.processes,
        timeout_s=settings.timeout_s,
        memory_mb=settings.memory_mb,
        warm=settings.warm_up,
    )
    pipeline = ConversionPipeline(
        store=PgDocumentStore(runtime), blobs=runtime.blobs, runner=pool, limits=settings.limits()
    )
    register(runtime.broker, pipeline, prefetch=settings.prefetch or settings.processes)
    return ConversionService(runtime=runtime, pool=pool, pipeline=pipeline)


def main() -> None:
    service = build(ConversionSettings())
    app = service.runtime.app()
    app.after_shutdown(service.pool.close)
    run(app)


if __name__ == "__main__":
    main()

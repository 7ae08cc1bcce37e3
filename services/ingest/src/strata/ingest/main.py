"""`strata-ingest`: consume received documents, request their conversion."""

from strata.ingest.handlers import register
from strata.ingest.intake import Intake
from strata.ingest.settings import IngestSettings
from strata.ingest.store import PgDocumentStore
from strata.runtime.service import ServiceRuntime, run


def build(settings: IngestSettings) -> ServiceRuntime:
    """Wire the service; nothing connects until the runtime starts."""
    runtime = ServiceRuntime("ingest", settings.common, http_port=settings.http_port)
    intake = Intake(store=PgDocumentStore(runtime), blobs=runtime.blobs, limits=settings.limits())
    register(runtime.broker, intake, prefetch=settings.prefetch)
    return runtime


def main() -> None:
    run(build(IngestSettings()).app())


if __name__ == "__main__":
    main()

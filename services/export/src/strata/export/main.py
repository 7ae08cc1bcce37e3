"""`strata-export`: builds export files from a run's overlays."""

from strata.export.exporter import Exporter
from strata.export.handlers import register
from strata.export.settings import ExportSettings
from strata.export.store import PgExportStore
from strata.runtime.service import ServiceRuntime, run


def main() -> None:
    settings = ExportSettings()
    rt = ServiceRuntime("export", settings.common, http_port=settings.http_port)
    store = PgExportStore(outbox=rt.outbox, fetch_rows=settings.fetch_rows)
    register(rt.broker, exporter=Exporter(store=store, blobs=rt.blobs), prefetch=settings.prefetch)
    run(rt.app())


if __name__ == "__main__":
    main()

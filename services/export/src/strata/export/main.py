"""`strata-export`: builds export files from a run's overlays."""

from pathlib import Path

from strata.export.exporter import Exporter
from strata.export.handlers import register
from strata.export.settings import ExportSettings
from strata.runtime.db import Queries
from strata.runtime.service import ServiceRuntime, run

QUERIES = Queries.load(Path(__file__).with_name("queries.sql"))


def main() -> None:
    settings = ExportSettings()
    rt = ServiceRuntime("export", settings.common)
    exporter = Exporter(
        outbox=rt.outbox, queries=QUERIES, blobs=rt.blobs, fetch_rows=settings.fetch_rows
    )
    register(rt.broker, exporter=exporter, prefetch=settings.prefetch)
    run(rt.app())


if __name__ == "__main__":
    main()

"""Apply numbered migrations (`NNNN_name.sql`) in order, each once, under an advisory lock."""

import argparse
import asyncio
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from strata.store import MIGRATIONS_DIR

logger = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same for every process that migrates.
_LOCK_KEY = 0x5_7A7A


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name!r} is not named NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"migration versions must run 1..N without gaps, found {versions}")
    return found


async def migrate(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Bring the database at `dsn` up to date; returns the versions applied now."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for migration in discover(directory):
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.path.read_text())
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
            logger.info("applied migration %04d_%s", migration.version, migration.name)
            applied.append(migration.version)
        return applied
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Apply Strata's database migrations.")
    parser.add_argument("--dsn", default=os.environ.get("STRATA_DATABASE_URL"))
    args = parser.parse_args()
    if not args.dsn:
        parser.error("set STRATA_DATABASE_URL or pass --dsn")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    applied = asyncio.run(migrate(args.dsn))
    print(f"migrations applied: {applied or 'none (up to date)'}")


if __name__ == "__main__":
    main()

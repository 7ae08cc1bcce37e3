"""Strata's Postgres schema: numbered migrations, the reference schema.sql and `strata-migrate`."""

from pathlib import Path

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
REFERENCE_SCHEMA = Path(__file__).parent / "schema.sql"

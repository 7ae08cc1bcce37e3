"""Migrating from zero produces exactly the reference schema.sql."""

import uuid

import asyncpg
import pytest

from strata.store import REFERENCE_SCHEMA
from strata.store.migrate import discover, migrate
from tests.support import infra

pytestmark = pytest.mark.integration

# Columns, constraints, indexes (with definitions) and seed rows: what a schema is made of.
_CATALOG = """
SELECT 'column', table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
       || ' ' || coalesce(column_default, '')
FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
UNION ALL
SELECT 'constraint', conrelid::regclass || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  AND conrelid::regclass::text <> 'schema_migrations'
UNION ALL
SELECT 'index', indexdef FROM pg_indexes
WHERE schemaname = 'public' AND tablename <> 'schema_migrations'
UNION ALL
SELECT 'policy-seed', settings::text FROM policies
ORDER BY 1, 2
"""


async def _catalog(dsn: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(r) for r in await conn.fetch(_CATALOG)]
    finally:
        await conn.close()


async def _fresh_database() -> str:
    name = f"strata_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(infra.PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def test_migrations_from_zero_equal_the_reference_schema():
    migrated, reference = await _fresh_database(), await _fresh_database()
    try:
        applied = await migrate(infra.dsn_for(migrated))
        assert applied == [m.version for m in discover()]
        assert await migrate(infra.dsn_for(migrated)) == []  # idempotent
        conn = await asyncpg.connect(infra.dsn_for(reference))
        try:
            await conn.execute(REFERENCE_SCHEMA.read_text())
        finally:
            await conn.close()
        migrated_catalog = await _catalog(infra.dsn_for(migrated))
        assert migrated_catalog == await _catalog(infra.dsn_for(reference))
        assert len(migrated_catalog) > 50
    finally:
        await infra.drop_database(migrated)
        await infra.drop_database(reference)

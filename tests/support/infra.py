"""Real infrastructure for integration and e2e tests: a fresh Postgres database per test cloned
from a migrated template, and a fresh RabbitMQ vhost per test so no queue leaks between tests."""

import asyncio
import os
import subprocess
import uuid

import asyncpg

from strata.store.migrate import migrate

PG_ADMIN_DSN = os.environ.get(
    "STRATA_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP_BASE = os.environ.get("STRATA_TEST_AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672")


def dsn_for(database: str) -> str:
    base, _, _ = PG_ADMIN_DSN.rpartition("/")
    return f"{base}/{database}"


async def create_template() -> str:
    name = f"strata_tpl_{os.getpid()}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await migrate(dsn_for(name))
    return name


async def clone_database(template: str) -> str:
    name = f"strata_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return name


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def create_vhost() -> tuple[str, str]:
    """Returns (vhost, amqp_url). rabbitmqctl is slow-ish (~1 s) but isolation is worth it."""
    vhost = f"strata_t_{uuid.uuid4().hex[:12]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )
    return vhost, f"{AMQP_BASE}/{vhost}"


def delete_vhost(vhost: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=False, capture_output=True)


def run(coro):
    return asyncio.run(coro)

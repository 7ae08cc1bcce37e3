"""Fixtures for tiers that touch real infrastructure. Unit tests use none of them."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import infra


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = infra.run(infra.create_template())
    yield name
    infra.run(infra.drop_database(name))


@pytest.fixture
def database_url(pg_template: str) -> Iterator[str]:
    name = infra.run(infra.clone_database(pg_template))
    yield infra.dsn_for(name)
    infra.run(infra.drop_database(name))


@pytest.fixture
def amqp_url() -> Iterator[str]:
    vhost, url = infra.create_vhost()
    yield url
    infra.delete_vhost(vhost)


@pytest.fixture
def blob_root(tmp_path: Path) -> Path:
    root = tmp_path / "blobs"
    root.mkdir()
    return root

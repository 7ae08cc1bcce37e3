"""Fixtures for tiers that touch real infrastructure. Unit tests use none of them."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import infra
from tests.support.s3 import S3Server, moto_server


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


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server as a process, one per test session; each test takes its own bucket."""
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()

"""One stack of real service processes for the e2e module, on its own database and vhost."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from strata.client import StrataClient
from tests.e2e.stack import Stack
from tests.support import infra


@pytest.fixture(scope="module")
def stack(pg_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    database = infra.run(infra.clone_database(pg_template))
    vhost, amqp_url = infra.create_vhost()
    root = tmp_path_factory.mktemp("e2e")
    (root / "logs").mkdir()
    stack = Stack(infra.dsn_for(database), amqp_url, root / "blobs", root / "logs")
    try:
        stack.start(extra_env={"GATEWAY_MAX_UPLOAD_BYTES": str(256 * 1024)})
        yield stack
    finally:
        stack.stop()
        infra.delete_vhost(vhost)
        infra.run(infra.drop_database(database))


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[StrataClient]:
    c = StrataClient(stack.gateway_url, stack.create_account("e2e-main"))
    yield c
    c.close()


@pytest.fixture(scope="module")
def examples() -> Path:
    return Path(__file__).resolve().parents[2] / "examples"
